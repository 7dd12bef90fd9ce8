// Latency and throughput of the app's request paths one by one (AppAPI auth, the simulated PHP proxy, OAuth-protected
// MCP calls of both protocol revisions) and the app's memory after a flood of sessions. Not part of `make bench`
// (whose figures are in bench/run.ts); run with `node --import tsx bench/endpoints.ts`.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { startSimulator } from '../tests/nextcloud-sim/index.js';
import { registerApp } from '../tests/support/register-app.js';
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
  console.log(
    `${name.padEnd(54)} ${String(Math.round(latencies.length / seconds)).padStart(6)} req/s   p50 ${pct(50)} ms   p95 ${pct(95)} ms   p99 ${pct(99)} ms`,
  );
}

/** An access token for `user`, obtained the way a client and the person's browser would (no shortcuts). */
async function accessToken(base: string, cookie: string): Promise<string> {
  const redirectUri = 'http://127.0.0.1:4999/callback';
  const registered = (await (
    await fetch(`${base}/oauth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'bench', redirect_uris: [redirectUri] }),
    })
  ).json()) as { client_id: string };
  const verifier = randomBytes(32).toString('base64url');
  const query = new URLSearchParams({
    client_id: registered.client_id,
    redirect_uri: redirectUri,
    response_type: 'code',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    scope: 'files.read',
  });
  const consent = await (await fetch(`${base}/oauth/authorize?${query}`, { headers: { cookie } })).text();
  const form = new URLSearchParams({
    pending: /name="pending" value="([^"]+)"/.exec(consent)![1]!,
    form_token: /name="form_token" value="([^"]+)"/.exec(consent)![1]!,
    decision: 'approve',
    scope: 'files.read',
  });
  const back = await (
    await fetch(`${base}/oauth/authorize`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: form,
    })
  ).text();
  const code = new URL(/content="0;url=([^"]+)"/.exec(back)![1]!.replaceAll('&amp;', '&')).searchParams.get('code')!;
  const tokens = (await (
    await fetch(`${base}/oauth/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        code_verifier: verifier,
        redirect_uri: redirectUri,
        client_id: registered.client_id,
      }),
    })
  ).json()) as { access_token: string };
  return tokens.access_token;
}

function rssOf(pid: number): string {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return /VmRSS:\s+(\d+ kB)/.exec(status)?.[1] ?? 'unknown';
}

const sim = await startSimulator({ dav: true });
const app = await startAppProcess({ nextcloudUrl: sim.url, env: { LOG_LEVEL: 'warn' } });
try {
  await registerApp(sim, { secret: app.secret, port: app.port! });
  const cookie = sim.sessionCookie('alice');
  const direct = `http://127.0.0.1:${app.port}`;
  const proxy = `${sim.url}/index.php/apps/app_api/proxy/mcp_gateway`;
  const signed = {
    'ex-app-id': 'mcp_gateway',
    'ex-app-version': app.version,
    'authorization-app-api': Buffer.from(`alice:${app.secret}`).toString('base64'),
  };
  console.log(`node ${process.version}, ${REQUESTS} requests per row, concurrency ${CONCURRENCY}`);
  console.log(`app RSS after start: ${rssOf(app.process.pid!)}`);
  await measure('GET /heartbeat (direct, no auth)', () => fetch(`${direct}/heartbeat`));
  await measure('GET / (direct, AppAPI auth)', () => fetch(`${direct}/`, { headers: signed }));
  await measure('GET / (through the simulated PHP proxy)', () => fetch(`${proxy}/`));
  await measure('GET /api/v1/me (proxy + OCS call as alice)', () => fetch(`${proxy}/api/v1/me`, { headers: { cookie } }));
  const bearer = {
    authorization: `Bearer ${await accessToken(proxy, cookie)}`,
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': '2025-06-18',
  };
  const call = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami', arguments: {} } });
  await measure('POST /mcp 401 challenge (proxy, no token)', () =>
    fetch(`${proxy}/mcp`, { method: 'POST' }).then((response) => (response.status === 401 ? new Response('') : response)),
  );
  await measure('POST /mcp 2025 tools/call whoami (stateless, token + OCS)', () =>
    fetch(`${proxy}/mcp`, { method: 'POST', headers: bearer, body: call }),
  );
  // The same call inside a session: the server and transport already exist.
  const init = await fetch(`${proxy}/mcp`, {
    method: 'POST',
    headers: bearer,
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } },
    }),
  });
  await init.arrayBuffer();
  const session = { ...bearer, 'mcp-session-id': init.headers.get('mcp-session-id')! };
  // Within a session every request needs its own JSON-RPC id.
  let id = 1;
  const numbered = (name: string, args: Record<string, unknown>) =>
    JSON.stringify({ jsonrpc: '2.0', id: ++id, method: 'tools/call', params: { name, arguments: args } });
  await measure('POST /mcp 2025 tools/call whoami (in a session)', () =>
    fetch(`${proxy}/mcp`, { method: 'POST', headers: session, body: numbered('whoami', {}) }),
  );
  await measure('POST /mcp 2025 tools/call files_list (session, PROPFIND)', () =>
    fetch(`${proxy}/mcp`, { method: 'POST', headers: session, body: numbered('files_list', { path: '/Documents' }) }),
  );
  // 2026-07-28: no session; every request carries its protocol revision, client and capabilities in _meta.
  const envelope = {
    'io.modelcontextprotocol/protocolVersion': '2026-07-28',
    'io.modelcontextprotocol/clientInfo': { name: 'bench', version: '1' },
    'io.modelcontextprotocol/clientCapabilities': {},
  };
  const modern = (method: string, params: Record<string, unknown>, name?: string) => ({
    method: 'POST',
    headers: { ...bearer, 'mcp-protocol-version': '2026-07-28', 'mcp-method': method, ...(name ? { 'mcp-name': name } : {}) },
    body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params: { ...params, _meta: envelope } }),
  });
  await measure('POST /mcp 2026-07-28 tools/list (stateless)', () => fetch(`${proxy}/mcp`, modern('tools/list', {})));
  await measure('POST /mcp 2026-07-28 tools/call whoami (stateless)', () =>
    fetch(`${proxy}/mcp`, modern('tools/call', { name: 'whoami', arguments: {} }, 'whoami')),
  );
  await measure('POST /mcp 2026-07-28 tools/call files_list (PROPFIND)', () =>
    fetch(`${proxy}/mcp`, modern('tools/call', { name: 'files_list', arguments: { path: '/Documents' } }, 'files_list')),
  );
  console.log(`app RSS after load: ${rssOf(app.process.pid!)}`);
  // Sessions are bounded: a flood of initialize requests keeps at most 20 per user and client, 50 per user.
  const initialize = JSON.stringify({
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } },
  });
  const SESSIONS = 1000;
  // Distinct clients: one user and client keeps at most 20 sessions, one user across clients 50.
  const owners = await Promise.all(Array.from({ length: 4 }, () => accessToken(proxy, cookie)));
  for (let index = 0; index < SESSIONS; index++) {
    const token = owners[index % owners.length]!;
    const response = await fetch(`${proxy}/mcp`, {
      method: 'POST',
      headers: { ...bearer, authorization: `Bearer ${token}` },
      body: initialize,
    });
    await response.arrayBuffer();
  }
  console.log(
    `app RSS after ${SESSIONS} initialize requests (4 clients of one user: at most 50 sessions kept): ${rssOf(app.process.pid!)}`,
  );
} finally {
  await app.stop();
  await sim.stop();
}
