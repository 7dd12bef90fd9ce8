// Only receiving a request is time-bounded: a client that announces a body and stalls, or never finishes its
// headers, loses its connection within the limit, while answers that take longer than that limit (a slow tool
// call, an event stream) are left alone. The limits are shortened here; production uses DEFAULT_SERVER_TIMEOUTS.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SERVER_TIMEOUTS } from '../../../src/http/timeouts.js';
import { buildApp } from '../../../src/server.js';
import type { InProcessApp } from '../../support/in-process-app.js';
import { startInProcessApp } from '../../support/in-process-app.js';
import { injectToken } from '../../support/inject-oauth.js';
import { rawExchange, requestHead } from '../../support/raw-http.js';

const LIMITS = { headersMs: 300, requestMs: 600, checkIntervalMs: 50 };
/** The check runs every checkIntervalMs; the rest is room for a busy machine. */
const CUT_OFF_WITHIN_MS = LIMITS.requestMs + LIMITS.checkIntervalMs + 1000;
/** Long enough that a limit wrongly applied to answers would have struck a few times over. */
const BEYOND_LIMIT_MS = 3 * LIMITS.requestMs;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let target: InProcessApp;
let port: number;
let mcpToken: string;
let sseToken: string;

beforeAll(async () => {
  target = await startInProcessApp({ deps: { timeouts: LIMITS } });
  await target.app.listen({ host: '127.0.0.1', port: 0 });
  port = (target.app.server.address() as AddressInfo).port;
  mcpToken = (await injectToken(target, 'alice', 'files.read talk.read')).accessToken;
  sseToken = (await injectToken(target, 'alice', 'files.read', { path: 'sse' })).accessToken;
});
afterAll(() => target?.stop());

const signed = (token: string): Array<[string, string]> => [
  ...Object.entries(target.appApi('alice')),
  ['authorization', `Bearer ${token}`],
];

describe('receiving a request is time-bounded', () => {
  it('applies the production limits to the server src/main.ts starts', async () => {
    const production = await buildApp({ config: target.config, nextcloud: target.fixture.nextcloud, db: target.db, logger: false });
    try {
      expect(production.server.headersTimeout).toBe(DEFAULT_SERVER_TIMEOUTS.headersMs);
      expect(production.server.requestTimeout).toBe(DEFAULT_SERVER_TIMEOUTS.requestMs);
      expect(production.server.keepAliveTimeout).toBe(DEFAULT_SERVER_TIMEOUTS.keepAliveMs);
      // No idle-socket timeout: it would cut a quiet answer.
      expect(production.server.timeout).toBe(0);
      // A tool call may take minutes; receiving its request may not.
      expect(DEFAULT_SERVER_TIMEOUTS.requestMs).toBeLessThanOrEqual(60_000);
    } finally {
      await production.close();
    }
  });

  it.each([
    ['/mcp', 'application/json', '{"jsonrpc":"2.0","id":1,'],
    ['/oauth/token', 'application/x-www-form-urlencoded', 'grant_type=authorization_'],
    ['/oauth/register', 'application/json', '{"client_name":'],
  ])('cuts off a POST %s whose announced body stalls', async (path, type, partial) => {
    const head = requestHead('POST', path, [['host', 'app'], ...signed(mcpToken), ['content-type', type], ['content-length', '1000']]);
    const exchange = await rawExchange({ port }, head + partial, 10_000);
    expect(exchange.closedAfterMs, 'the connection is still open').not.toBeNull();
    // Not refused on sight: the app waited for the body, then gave up on it.
    expect(exchange.closedAfterMs!).toBeGreaterThanOrEqual(LIMITS.requestMs - 50);
    expect(exchange.closedAfterMs!).toBeLessThan(CUT_OFF_WITHIN_MS);
    expect(exchange.status).toBe(408);
  });

  it('cuts off headers that never end, and a connection that sends nothing', async () => {
    const [unfinished, silent] = await Promise.all([
      rawExchange({ port }, 'GET /heartbeat HTTP/1.1\r\nhost: app\r\n', 10_000),
      rawExchange({ port }, '', 10_000),
    ]);
    for (const exchange of [unfinished, silent]) {
      expect(exchange.closedAfterMs).not.toBeNull();
      expect(exchange.closedAfterMs!).toBeLessThan(LIMITS.headersMs + LIMITS.checkIntervalMs + 1000);
    }
    expect(unfinished.status).toBe(408);
  });

  it('cuts off a stalled second request on a kept-alive connection', async () => {
    const first = requestHead('GET', '/heartbeat', [['host', 'app']]);
    const second = requestHead('POST', '/mcp', [
      ['host', 'app'],
      ...signed(mcpToken),
      ['content-type', 'application/json'],
      ['content-length', '500'],
    ]);
    const exchange = await rawExchange({ port }, first + second + '{', 10_000);
    expect(exchange.received).toContain('{"status":"ok"}');
    expect(exchange.closedAfterMs).not.toBeNull();
    expect(exchange.closedAfterMs!).toBeLessThan(CUT_OFF_WITHIN_MS);
    expect(exchange.received).toContain('408 Request Timeout');
  });
});

describe('answering is not time-bounded', () => {
  it('answers a tool call whose Nextcloud request takes longer than the limit (JSON, nothing sent meanwhile)', async () => {
    // talk_list_conversations asks Talk for the conversations (whoami answers from the account the token check read).
    const hold = target.fixture.sim.holdRequests((method, path) => method === 'GET' && path === '/ocs/v2.php/apps/spreed/api/v4/room');
    const answer = fetch(`http://127.0.0.1:${port}/mcp`, {
      method: 'POST',
      // X-Origin-IP: the PHP proxy's entrance, where the answer is one JSON body written only at the end.
      headers: {
        ...Object.fromEntries(signed(mcpToken)),
        'x-origin-ip': '203.0.113.9',
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2025-11-25',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'talk_list_conversations', arguments: {} } }),
    });
    await hold.reached();
    await sleep(BEYOND_LIMIT_MS);
    hold.release();
    const response = await answer;
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/json');
    const body = (await response.json()) as { result?: { structuredContent?: { conversations?: Array<{ name: string }> } } };
    expect(body.result?.structuredContent?.conversations?.map((conversation) => conversation.name)).toContain('Project Apollo');
  });

  it('keeps an event stream (legacy /sse) open past the limit, and still delivers on it', async () => {
    let received = '';
    let ended = false;
    const stream = http.get({
      host: '127.0.0.1',
      port,
      path: '/sse',
      headers: { ...Object.fromEntries(signed(sseToken)), accept: 'text/event-stream' },
    });
    try {
      const response = await new Promise<http.IncomingMessage>((resolve, reject) => stream.on('response', resolve).on('error', reject));
      expect(response.statusCode).toBe(200);
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (received += chunk));
      response.on('close', () => (ended = true));
      const deadline = Date.now() + 5000;
      while (!/sessionId=([\w-]+)/.test(received) && Date.now() < deadline) await sleep(10);
      const sessionId = /sessionId=([\w-]+)/.exec(received)?.[1];
      expect(sessionId, received).toBeTruthy();

      await sleep(BEYOND_LIMIT_MS);
      expect(ended).toBe(false);
      expect(received).not.toContain('408');

      const posted = await fetch(`http://127.0.0.1:${port}/messages?sessionId=${sessionId}`, {
        method: 'POST',
        headers: { ...Object.fromEntries(signed(sseToken)), 'content-type': 'application/json' },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 'late',
          method: 'initialize',
          params: { protocolVersion: '2024-11-05', capabilities: {}, clientInfo: { name: 'slow', version: '1' } },
        }),
      });
      expect(posted.status).toBe(202);
      while (!received.includes('"id":"late"') && Date.now() < deadline + BEYOND_LIMIT_MS) await sleep(10);
      expect(received).toContain('"id":"late"');
      expect(ended).toBe(false);
    } finally {
      stream.destroy();
    }
  });

  it("keeps a 2025 session's standalone stream (GET /mcp) open past the limit", async () => {
    const headers = {
      ...Object.fromEntries(signed(mcpToken)),
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-11-25',
    };
    const init = await fetch(`http://127.0.0.1:${port}/mcp`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'slow', version: '1' } },
      }),
    });
    await init.text();
    const sessionId = init.headers.get('mcp-session-id')!;
    expect(sessionId).toBeTruthy();
    let ended = false;
    const stream = http.get({
      host: '127.0.0.1',
      port,
      path: '/mcp',
      headers: { ...headers, accept: 'text/event-stream', 'mcp-session-id': sessionId },
    });
    try {
      const response = await new Promise<http.IncomingMessage>((resolve, reject) => stream.on('response', resolve).on('error', reject));
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toContain('text/event-stream');
      response.resume();
      response.on('close', () => (ended = true));
      await sleep(BEYOND_LIMIT_MS);
      expect(ended).toBe(false);
      // The session it belongs to still answers meanwhile.
      const ping = await fetch(`http://127.0.0.1:${port}/mcp`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', 'mcp-session-id': sessionId },
        body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' }),
      });
      expect(ping.status).toBe(200);
      expect(await ping.text()).toContain('"id":2');
      expect(ended).toBe(false);
    } finally {
      stream.destroy();
    }
  });
});
