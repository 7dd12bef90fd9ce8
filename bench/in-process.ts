// The figures taken with the app built inside this process (buildApp, as src/main.ts builds it) against a simulator
// started by bench/run.ts: the token check with policy in µs per call, and the live heap each call leaves behind.
// Run by bench/run.ts as `node --expose-gc --import tsx bench/in-process.ts` with BENCH_SIM_URL, BENCH_APP_SECRET
// and BENCH_APP_VERSION set; prints one line `BENCH_RESULT <json>` at the end.
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { loadConfig } from '../src/config.js';
import { authenticateMcpRequest } from '../src/oauth/bearer.js';
import { createOAuthContext } from '../src/oauth/context.js';
import { createPolicySource } from '../src/policy/policy.js';
import { buildApp, nextcloudFor } from '../src/server.js';
import { migrate, openDatabase } from '../src/store/database.js';
import type { DirectApp } from './support/mcp.js';
import { SCOPE, USER, accessToken, appApiHeaders, openSession } from './support/mcp.js';
import { drive, median } from './support/stats.js';

export interface InProcessResult {
  authMicros: number;
  authIterations: number;
  /** heapUsed growth per call, and the part of it outside the spaces that hold compiled code and bytecode. */
  heap: Array<{ tool: string; calls: number; bytesPerCall: number; dataBytesPerCall: number }>;
}

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

/** Spaces that grow while the JIT compiles more of the code, not with what the app keeps. */
const CODE_SPACES = new Set(['code_space', 'code_large_object_space', 'trusted_space', 'trusted_large_object_space']);

async function settledHeap(): Promise<{ used: number; data: number }> {
  for (let round = 0; round < 4; round++) {
    gc!();
    await new Promise((resolve) => setImmediate(resolve));
  }
  const data = v8
    .getHeapSpaceStatistics()
    .filter((space) => !CODE_SPACES.has(space.space_name))
    .reduce((sum, space) => sum + space.space_used_size, 0);
  return { used: process.memoryUsage().heapUsed, data };
}

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const storage = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-gateway-bench-inproc-'));
const config = loadConfig({
  APP_SECRET: env('BENCH_APP_SECRET'),
  APP_VERSION: env('BENCH_APP_VERSION'),
  NEXTCLOUD_URL: env('BENCH_SIM_URL'),
  APP_PERSISTENT_STORAGE: storage,
  LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
});
const db = openDatabase(storage);
migrate(db);
const nextcloud = nextcloudFor(config);
const app = await buildApp({ config, nextcloud, db });
await app.listen({ host: '127.0.0.1', port: 0 });
const direct: DirectApp = {
  url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
  appId: config.appId,
  version: config.appVersion,
  secret: config.appSecret,
};

try {
  const token = await accessToken(direct, USER, SCOPE);

  // Token check + grant lookup + account eligibility + policy, as every MCP request runs it first. The OAuth context
  // is built as buildApp builds its own, over the same store (signing keys, grants).
  const oauth = await createOAuthContext({
    config,
    nextcloud,
    db,
    policy: createPolicySource(nextcloud, {
      ttlMs: config.policyTtlMs,
      log: app.log,
      staleAfterMs: Math.min(1000, config.nextcloudTimeoutMs / 10),
    }),
    log: app.log,
  });
  const request = {
    headers: { ...appApiHeaders(direct, USER), authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    log: app.log,
    body: undefined,
  } as unknown as FastifyRequest;
  let refused = '';
  const reply = {
    code: (status: number) => ((refused = `HTTP ${status}`), reply),
    header: () => reply,
    send: (body: unknown) => ((refused += ` ${JSON.stringify(body)}`), reply),
  } as unknown as FastifyReply;
  const check = async () => {
    if (!(await authenticateMcpRequest(oauth, request, reply, 'mcp'))) throw new Error(`the token was refused: ${refused}`);
  };
  // Warm: policy and account facts cached, code optimised.
  for (let index = 0; index < 2000; index++) await check();
  const BATCH = 200;
  const batches: number[] = [];
  const started = performance.now();
  while (batches.length < 50 || (performance.now() - started < 3000 && batches.length < 400)) {
    const t0 = performance.now();
    for (let index = 0; index < BATCH; index++) await check();
    batches.push(((performance.now() - t0) * 1000) / BATCH);
  }
  batches.sort((a, b) => a - b);

  // Live heap per call: the heap after a full collection, before and after N calls of one tool in one session.
  const CALLS = Number(process.env.BENCH_HEAP_CALLS ?? 2000);
  const HEAP_CONCURRENCY = Number(process.env.BENCH_HEAP_CONCURRENCY ?? 4);
  const session = await openSession(direct, USER, token);
  const heap: InProcessResult['heap'] = [];
  for (const [tool, args] of [
    ['whoami', {}],
    ['files_list', { path: '/Documents' }],
  ] as const) {
    const call = () => session.call(tool, args).then(() => undefined);
    // Warm first, so what the JIT compiles and what is allocated once (connections, caches) is not counted.
    await drive(500, HEAP_CONCURRENCY, call);
    const before = await settledHeap();
    await drive(CALLS, HEAP_CONCURRENCY, call);
    const after = await settledHeap();
    heap.push({
      tool,
      calls: CALLS,
      bytesPerCall: (after.used - before.used) / CALLS,
      dataBytesPerCall: (after.data - before.data) / CALLS,
    });
  }
  await session.close();

  const result: InProcessResult = { authMicros: median(batches), authIterations: batches.length * BATCH, heap };
  console.log(`BENCH_RESULT ${JSON.stringify(result)}`);
} finally {
  await app.close();
  db.close();
  fs.rmSync(storage, { recursive: true, force: true });
}
