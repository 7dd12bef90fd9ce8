// Shows that files_read costs the window it reads, not the file: a 1 GiB file in the simulator is read 64 KiB
// at a time, at its start and near its end, and the process's RSS is printed before and after.
// Figures, with one guard: a growth that only buffering the whole file could explain fails the run.
// Run with `npx tsx bench/read-rss.ts` (or `make bench`).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createNextcloud } from '../lib/index.js';
import { executeTool } from '../src/mcp/execute.js';
import { SCOPES } from '../src/core/scopes.js';
import { DEFAULT_POLICY } from '../src/policy/policy.js';
import { filesRead } from '../src/tools/files/read.js';
import type { Tool, ToolContext } from '../src/tools/tool.js';
import { startSimulator } from '../tests/nextcloud-sim/index.js';

const FILE_BYTES = 1024 ** 3;
const WINDOW = 64 * 1024;
const ROUNDS = Number(process.env.BENCH_READS ?? 20);
/** More than this would mean a large part of the file was held in memory. */
const RSS_GUARD_MB = 200;

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const rss = () => process.memoryUsage().rss;

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'read-rss-'));
const sim = await startSimulator({ dataDir });
let failed = false;
try {
  const secret = 'bench-secret-'.padEnd(64, 'x');
  sim.addExApp({ id: 'mcp_gateway', version: '0.1.0', secret });
  const nextcloud = createNextcloud({ baseUrl: sim.url, appId: 'mcp_gateway', appVersion: '0.1.0', appSecret: secret, timeoutMs: 30_000 });

  // The simulator keeps user files under <dataDir>/dav/<uid>/files and registers a file in its cache the first
  // time a PROPFIND meets it, so a file made on disk is visible like an uploaded one. Text lines first, then a
  // sparse hole up to 1 GiB: no gigabyte is written, and none is ever held in memory here.
  const file = path.join(dataDir, 'dav', 'alice', 'files', 'Media', 'huge.txt');
  const line = 'Line of a very large log file, to be read a window at a time.\n';
  const head = line.repeat(Math.ceil((2 * WINDOW) / line.length));
  fs.writeFileSync(file, head);
  fs.truncateSync(file, FILE_BYTES);
  const tail = 'The last line of the file.\n';
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, tail.repeat(Math.ceil(WINDOW / tail.length) + 1), FILE_BYTES - (Math.ceil(WINDOW / tail.length) + 1) * tail.length);
  fs.closeSync(fd);

  const stat = await nextcloud.as('alice').files.stat('/Media/huge.txt');
  console.log(
    `node ${process.version}; /Media/huge.txt is ${mb(stat.size)} (${stat.contentType}); ${ROUNDS} reads of ${WINDOW / 1024} KiB per row`,
  );

  const context: ToolContext = {
    user: nextcloud.as('alice'),
    userId: 'alice',
    clientId: 'bench',
    scopes: [...SCOPES],
    policy: DEFAULT_POLICY,
    webRoot: sim.url,
    signal: new AbortController().signal,
    progress: async () => {},
    audit: () => {},
  };

  const run = async (label: string, offset: number) => {
    const latencies: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const started = performance.now();
      const execution = await executeTool(filesRead as unknown as Tool, { path: '/Media/huge.txt', offset, length: WINDOW }, context);
      latencies.push(performance.now() - started);
      const structured = execution.result.structuredContent as { kind?: string; bytesRead?: number; text?: string } | undefined;
      if (execution.result.isError || structured?.kind !== 'text' || !structured.text || structured.bytesRead! < WINDOW - 4) {
        throw new Error(`files_read did not return the window: ${JSON.stringify(execution.result.content).slice(0, 300)}`);
      }
    }
    latencies.sort((a, b) => a - b);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!.toFixed(1);
    console.log(
      `${label.padEnd(34)} p50 ${pct(50)} ms   p95 ${pct(95)} ms   max ${latencies.at(-1)!.toFixed(1)} ms   RSS now ${mb(rss())}`,
    );
  };

  // One call first, so module loading and connection set-up are not counted as growth.
  await executeTool(filesRead as unknown as Tool, { path: '/Readme.md' }, context);
  global.gc?.();
  const before = rss();
  console.log(`RSS before: ${mb(before)}`);
  await run('files_read first 64 KiB', 0);
  await run('files_read 64 KiB at 1 GiB - 64 KiB', FILE_BYTES - WINDOW);
  global.gc?.();
  const after = rss();
  console.log(`RSS after:  ${mb(after)} (growth ${mb(after - before)}; the file is ${mb(FILE_BYTES)})`);
  if (after - before > RSS_GUARD_MB * 1024 * 1024) {
    console.error(`RSS grew by more than ${RSS_GUARD_MB} MB: files_read seems to hold far more than its window in memory.`);
    failed = true;
  }
} finally {
  await sim.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
if (failed) process.exit(1);
