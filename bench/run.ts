// `make bench`: the performance figures of the README's Performance section, measured side by side in one run
// against the Nextcloud simulator. Figures, not assertions: compare runs on the same machine.
//
//   tool rows     tools/call p50/p99 of one tool per family vs the same Nextcloud requests sent straight to the simulator
//   auth          token check + grant + account eligibility + policy, in process, µs per call
//   whoami rate   calls/s at concurrency 8 and the app's CPU time per call
//   big folder    every page of files_list over 10,000 entries vs one raw PROPFIND, and the app's RSS peak
//   live heap     heap left behind per call in one MCP session (JSON answers)
//
// Knobs: BENCH_TOOL_CALLS (400), BENCH_TOOL_CONCURRENCY (1), BENCH_WHOAMI_CALLS (3000), BENCH_HEAP_CALLS (2000),
// BENCH_HEAP_CONCURRENCY (4), BENCH_BIG_FOLDER_ENTRIES (10000), BENCH_BIG_FOLDER_PAGE_SIZE (1000, the largest; 50 is
// files_list's default), BENCH_BIG_FOLDER_SECONDS (60: a longer listing is stopped and extrapolated),
// BENCH_LOG_LEVEL (info, the app's default).
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { BigFolder } from './big-folder.js';
import { folderPropfind, measureBigFolder, PAGE_SIZE, printBigFolder } from './big-folder.js';
import type { InProcessResult } from './in-process.js';
import { BIG_FOLDER, BIG_FOLDER_ENTRIES, startEnvironment } from './support/environment.js';
import { USER, openSession } from './support/mcp.js';
import { machine } from './support/proc.js';
import type { RecordedRequest } from './support/recording-proxy.js';
import type { ToolRow } from './tool-rows.js';
import { TOOL_CASES, measureToolRow, printToolRows, recordSequence } from './tool-rows.js';
import type { WhoamiRate } from './whoami-rate.js';
import { measureWhoamiRate, printWhoamiRate } from './whoami-rate.js';

const TOOL_CALLS = Number(process.env.BENCH_TOOL_CALLS ?? 400);
const TOOL_CONCURRENCY = Number(process.env.BENCH_TOOL_CONCURRENCY ?? 1);
const WHOAMI_CALLS = Number(process.env.BENCH_WHOAMI_CALLS ?? 3000);
const WHOAMI_CONCURRENCY = 8;
const BIG_FOLDER_SECONDS = Number(process.env.BENCH_BIG_FOLDER_SECONDS ?? 60);

const here = path.dirname(fileURLToPath(import.meta.url));
const host = machine();
const load = () =>
  os
    .loadavg()
    .map((value) => value.toFixed(1))
    .join(' ');
console.log(`MCP Gateway bench — ${host.line}`);
// Other work on the machine inflates every figure, the direct baselines too: compare runs on a quiet machine.
console.log(`load average at start: ${load()}`);
const began = performance.now();
const elapsed = () => `${((performance.now() - began) / 1000).toFixed(0)} s`;

/** Runs bench/in-process.ts in its own process with --expose-gc and answers what it printed as its result. */
function inProcessFigures(simUrl: string, secret: string, version: string): Promise<InProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', path.join(here, 'in-process.ts')], {
      cwd: path.join(here, '..'),
      env: { ...process.env, BENCH_SIM_URL: simUrl, BENCH_APP_SECRET: secret, BENCH_APP_VERSION: version },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = output.split('\n').find((candidate) => candidate.startsWith('BENCH_RESULT '));
      if (code !== 0 || !line) return reject(new Error(`bench/in-process.ts exited with ${code}:\n${output}`));
      resolve(JSON.parse(line.slice('BENCH_RESULT '.length)) as InProcessResult);
    });
  });
}

const kb = (bytes: number) => `${bytes >= 0 ? '+' : ''}${(bytes / 1024).toFixed(1)} KB`;

const sequences = new Map<string, RecordedRequest[]>();
let bigPropfind: RecordedRequest | undefined;
const environment = await startEnvironment(async (app, token, capture) => {
  const session = await openSession(app, USER, token);
  for (const tool of TOOL_CASES) sequences.set(tool.name, await recordSequence(() => session.call(tool.name, tool.args), capture));
  // The folder's Depth 1 PROPFIND as the app sends it: from the first listing (the app may answer later pages from
  // what it read then, checking only the folder's etag), or from a second one.
  const listBig = () => session.call('files_list', { path: BIG_FOLDER, limit: PAGE_SIZE });
  bigPropfind = folderPropfind([...(await capture(listBig)), ...(await capture(listBig))]);
});

const rows: ToolRow[] = [];
let rate: WhoamiRate;
let big: BigFolder;
let inProcess: InProcessResult;
try {
  console.log(`set-up done after ${elapsed()} (simulator, ${BIG_FOLDER_ENTRIES.toLocaleString('en')} files, app, recordings)`);
  const { app, sim, direct, token } = environment;
  const session = await openSession(direct, USER, token);
  for (const tool of TOOL_CASES)
    rows.push(await measureToolRow(session, sim.url, tool, sequences.get(tool.name)!, TOOL_CALLS, TOOL_CONCURRENCY));
  printToolRows(rows, TOOL_CALLS, TOOL_CONCURRENCY);
  rate = await measureWhoamiRate(session, app.process.pid!, WHOAMI_CALLS, WHOAMI_CONCURRENCY);
  printWhoamiRate(rate);
  big = await measureBigFolder(session, sim.url, app.process.pid!, BIG_FOLDER, bigPropfind!, BIG_FOLDER_SECONDS);
  printBigFolder(big);
  await session.close();
  inProcess = await inProcessFigures(sim.url, direct.secret, direct.version);
  console.log(
    `\ntoken check + grant + eligibility + policy (authenticateMcpRequest, in process, warm): ${inProcess.authMicros.toFixed(1)} µs per call (median of ${inProcess.authIterations / 200} batches of 200)`,
  );
  console.log(
    `\nlive heap per call, one MCP session, JSON answers (heapUsed after a full GC, ${inProcess.heap[0]?.calls} calls each; without compiled code in parentheses):`,
  );
  console.log(`  ${inProcess.heap.map((entry) => `${entry.tool} ${kb(entry.bytesPerCall)} (${kb(entry.dataBytesPerCall)})`).join(', ')}`);
} finally {
  await environment.stop();
}
console.log(`\ndone after ${elapsed()}; load average at the end: ${load()}`);

// The README's Performance table, in the same form, so a run's figures can be pasted over it.
console.log(`\nMeasured on ${host.cpu} (${host.cores} cores), Node ${host.node}:\n`);
console.log('| figure | result | goal |');
console.log('|---|---|---|');
const atConcurrency = TOOL_CONCURRENCY === 1 ? '' : ` at concurrency ${TOOL_CONCURRENCY}`;
console.log(
  `| \`tools/call\` p50 / p99 vs the same backend requests sent directly (requests per call)${atConcurrency} | ${rows.map((row) => `${row.tool} ${(row.tool50 / row.direct50).toFixed(2)}× / ${(row.tool99 / row.direct99).toFixed(2)}× (${row.requests})`).join(', ')} | ≤ 1.10× / ≤ 1.25× |`,
);
console.log(`| token check + policy, in process | ${inProcess!.authMicros.toFixed(0)} µs | < 100 µs |`);
console.log(
  `| \`whoami\` calls/s at concurrency ${WHOAMI_CONCURRENCY} against a fast backend | ${Math.round(rate!.perSecond).toLocaleString('en')}/s, ${rate!.cpuMsPerCall.toFixed(2)} ms app CPU per call | ≥ 1,000/s |`,
);
const extrapolated = big!.pages < big!.allPages ? `, extrapolated from ${big!.pages} of ${big!.allPages} pages` : '';
console.log(
  `| ${big!.total.toLocaleString('en')}-entry folder: every page of \`files_list\` vs one raw PROPFIND | ${(big!.listMs / big!.propfindMs).toFixed(1)}× (app memory peaks +${(big!.rssPeak - big!.rssBefore).toFixed(0)} MB${extrapolated}) | < 1.5× |`,
);
console.log(
  `| live heap per call in one MCP session | ${inProcess!.heap.map((entry) => `${kb(entry.bytesPerCall)} per ${entry.tool}`).join(', ')} | 0 |`,
);
