// Prints latency and throughput of the request paths the foundation provides, and the app's memory.
// Figures, not assertions: run with `make bench` and compare before/after a change on the same machine.
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { jsonInfo } from '../scripts/json-info.js';
import { startSimulator } from '../tests/nextcloud-sim/index.js';
import { startAppProcess } from '../tests/support/app-process.js';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 2000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);

async function measure(name: string, send: () => Promise<Response>): Promise<void> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < REQUESTS) {
        next++;
        const t0 = performance.now();
        const response = await send();
        await response.arrayBuffer();
        if (!response.ok) throw new Error(`${name}: HTTP ${response.status}`);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!.toFixed(2);
  console.log(`${name.padEnd(44)} ${String(Math.round(latencies.length / seconds)).padStart(6)} req/s   p50 ${pct(50)} ms   p95 ${pct(95)} ms   p99 ${pct(99)} ms`);
}

function rssOf(pid: number): string {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return /VmRSS:\s+(\d+ kB)/.exec(status)?.[1] ?? 'unknown';
}

const sim = await startSimulator({ dav: false });
const app = await startAppProcess({ nextcloudUrl: sim.url, env: { LOG_LEVEL: 'warn' } });
try {
  const registered = await sim.occ(['app_api:app:register', 'mcp_gateway', 'manual_install', '--json-info', jsonInfo({ secret: app.secret, port: app.port! }), '--wait-finish']);
  if (registered.code !== 0) throw new Error(registered.output);
  const cookie = sim.sessionCookie('alice');
  const direct = `http://127.0.0.1:${app.port}`;
  const proxy = `${sim.url}/index.php/apps/app_api/proxy/mcp_gateway`;
  const signed = { 'ex-app-id': 'mcp_gateway', 'ex-app-version': app.version, 'authorization-app-api': Buffer.from(`alice:${app.secret}`).toString('base64') };
  console.log(`node ${process.version}, ${REQUESTS} requests per row, concurrency ${CONCURRENCY}`);
  console.log(`app RSS after start: ${rssOf(app.process.pid!)}`);
  await measure('GET /heartbeat (direct, no auth)', () => fetch(`${direct}/heartbeat`));
  await measure('GET / (direct, AppAPI auth)', () => fetch(`${direct}/`, { headers: signed }));
  await measure('GET / (through the simulated PHP proxy)', () => fetch(`${proxy}/`));
  await measure('GET /api/v1/me (proxy + OCS call as alice)', () => fetch(`${proxy}/api/v1/me`, { headers: { cookie } }));
  console.log(`app RSS after load: ${rssOf(app.process.pid!)}`);
} finally {
  await app.stop();
  await sim.stop();
}
