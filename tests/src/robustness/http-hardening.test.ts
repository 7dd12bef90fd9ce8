// What the fuzz tests found at the HTTP layer, pinned down: a Host the MCP SDK cannot build a URL from is a 400
// for every route (it was a 500 on /mcp and /messages), and admin pages answer a user Nextcloud does not know (or
// could not have) with the 404 everyone who is not an admin gets (they answered 502 or 500).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isValidHost } from '../../../src/http/host.js';
import { escapeHtml } from '../../../src/http/html.js';
import { buildApp } from '../../../src/server.js';
import type { InProcessApp } from '../../support/in-process-app.js';
import { startInProcessApp } from '../../support/in-process-app.js';
import { injectToken } from '../../support/inject-oauth.js';

let target: InProcessApp;
let token: string;

beforeAll(async () => {
  target = await startInProcessApp();
  token = (await injectToken(target, 'alice', 'files.read')).accessToken;
});
afterAll(() => target?.stop());

describe('the Host header', () => {
  it.each([
    '127.0.0.1:23000',
    'cloud.example.com',
    'cloud.example.com:443',
    '[::1]:8080',
    'xn--bcher-kva.example',
    'a_b.local',
    'host:',
    '',
  ])('accepts %j', (host) => {
    expect(isValidHost(host)).toBe(true);
  });
  it.each(['a b', 'user@host', 'host:99999', 'host:port', '[::1', '%', 'h/x', 'h?x', 'h#x', 'h\\x', 'h\u00e9', '@'])(
    'refuses %j',
    (host) => {
      expect(isValidHost(host)).toBe(false);
    },
  );
  it('passes when absent (HTTP/1.0)', () => {
    expect(isValidHost(undefined)).toBe(true);
  });

  it.each([
    ['POST', '/mcp'],
    ['POST', '/messages?sessionId=x'],
    ['GET', '/heartbeat'],
    ['GET', '/.well-known/oauth-protected-resource/mcp'],
  ])('answers %s %s with a bad Host 400 before anything else runs', async (method, url) => {
    for (const host of ['a b', 'user@host', 'h:99999']) {
      const response = await target.app.inject({
        method,
        url,
        headers: {
          ...target.appApi('alice'),
          host,
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        ...(method === 'POST' ? { payload: '{"jsonrpc":"2.0","id":1,"method":"ping"}' } : {}),
      });
      expect(response.statusCode, host).toBe(400);
      expect(response.json(), host).toEqual({ error: 'bad_request', message: 'The Host header is not a valid host[:port].' });
      expect(response.headers['cache-control']).toBe('no-store');
    }
  });

  it('still serves MCP to a good Host', async () => {
    const response = await target.app.inject({
      method: 'POST',
      url: '/mcp',
      headers: {
        ...target.appApi(''),
        host: '127.0.0.1:23000',
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'x-origin-ip': '203.0.113.1',
      },
      payload: '{"jsonrpc":"2.0","id":1,"method":"ping"}',
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ jsonrpc: '2.0', id: 1, result: {} });
  });
});

describe('admin pages for a user Nextcloud does not know', () => {
  it.each(['/admin/audit', '/admin/connections', '/admin/api/v1/audit'])(
    '%s answers 404 for an unknown or impossible user, and 200 for an admin',
    async (url) => {
      for (const user of ['ghost', 'a/b', 'x\u0001y', 'alice']) {
        const response = await target.app.inject({ method: 'GET', url, headers: target.appApi(user) });
        expect(response.statusCode, user).toBe(404);
        expect(response.json(), user).toMatchObject({ error: 'not_found' });
      }
      expect((await target.app.inject({ method: 'GET', url, headers: target.appApi('admin') })).statusCode).toBe(200);
    },
  );

  it('still reports a Nextcloud that does not answer as the error it is', async () => {
    const impatient = await buildApp({
      config: target.config,
      nextcloud: target.fixture.client({ timeoutMs: 300 }),
      db: target.db,
      logger: false,
    });
    const hold = target.fixture.sim.holdRequests((_method, path) => path === '/ocs/v2.php/cloud/users/admin/groups');
    try {
      const response = await impatient.inject({ method: 'GET', url: '/admin/audit', headers: target.appApi('admin') });
      // Whatever the app answers for a Nextcloud that times out, not the 404 of "not an admin".
      expect([502, 503, 504]).toContain(response.statusCode);
      expect(response.json()).toMatchObject({ error: expect.any(String), message: expect.stringMatching(/Nextcloud/) });
      expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
      // The admin who opened the page in a browser reads the same as a page, with the same status.
      const page = await impatient.inject({
        method: 'GET',
        url: '/admin/audit',
        headers: { ...target.appApi('admin'), accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' },
      });
      expect(page.statusCode).toBe(response.statusCode);
      expect(page.headers['content-type']).toContain('text/html');
      expect(page.headers['content-security-policy']).toContain("default-src 'none'");
      expect(page.body).toContain('<p id="trouble">');
      expect(page.body).toContain(escapeHtml(response.json<{ message: string }>().message));
    } finally {
      hold.release();
      await impatient.close();
    }
  });
});

describe('what reaches the MCP layer', () => {
  const mcpHeaders = () => ({
    ...target.appApi(''),
    authorization: `Bearer ${token}`,
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'x-origin-ip': '203.0.113.1',
  });

  it('answers JSON nested thousands of levels deep with a parse error, not a stack overflow', async () => {
    const response = await target.app.inject({
      method: 'POST',
      url: '/mcp',
      headers: mcpHeaders(),
      payload: `{"jsonrpc":"2.0","id":1,"method":"ping","params":${'['.repeat(5000)}${']'.repeat(5000)}}`,
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: { code: -32700, message: expect.stringContaining('nests deeper than 64 levels') } });
  });

  it('ends a session on DELETE whatever its body holds, answering once', async () => {
    const initialize = await target.app.inject({
      method: 'POST',
      url: '/mcp',
      headers: mcpHeaders(),
      payload: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'hardening', version: '1' } },
      }),
    });
    const session = initialize.headers['mcp-session-id'] as string;
    expect(session).toBeTruthy();
    const ended = await target.app.inject({
      method: 'DELETE',
      url: '/mcp',
      headers: { ...mcpHeaders(), 'mcp-session-id': session },
      payload: '{"jsonrpc":"2.0","id":7,"method":"ping"}',
    });
    expect(ended.statusCode).toBe(200);
    expect(ended.body).not.toContain('session ended');
    const after = await target.app.inject({
      method: 'POST',
      url: '/mcp',
      headers: { ...mcpHeaders(), 'mcp-session-id': session },
      payload: '{"jsonrpc":"2.0","id":8,"method":"ping"}',
    });
    expect(after.statusCode).toBe(404);
  });

  it('answers a user no Nextcloud can have as nobody signed in, not as an app failure', async () => {
    const me = await target.app.inject({ method: 'GET', url: '/api/v1/me', headers: target.appApi('a/b') });
    expect(me.statusCode).toBe(401);
    const ghost = await target.app.inject({ method: 'GET', url: '/api/v1/me', headers: target.appApi('ghost') });
    expect(ghost.statusCode).toBe(401);
  });
});
