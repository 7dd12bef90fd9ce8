// The MCP endpoints through Nextcloud's proxies with real tokens: Streamable HTTP answering in JSON (PHP proxy)
// or in event streams (HaRP), sessions that belong to their user, Origin checks, the 403 step-up for a tool
// outside the grant, the legacy HTTP+SSE transport, and the audit log an admin reads.
import type { Browser } from 'playwright-core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium } from '../../support/browser.js';
import type { Deployment, ProxyKind } from '../../support/deployment.js';
import { deploy } from '../../support/deployment.js';
import { BrowserOAuthProvider, connectWithOAuth } from '../../support/mcp-oauth-client.js';
import { rawOAuth } from '../../support/oauth-raw.js';
import type { Rpc } from '../../support/rpc.js';
import { answerOf } from '../../support/rpc.js';

const textOf = (result: CallToolResult) => (result.content[0] as { text: string }).text;

describe.each<ProxyKind>(['php', 'harp'])('MCP transports through the %s proxy', (kind) => {
  let deployment: Deployment;
  const oauth = rawOAuth(() => deployment);
  const tokens: Record<string, string> = {};
  let sessionId = '';
  let nextId = 10;

  const post = (token: string, message: Record<string, unknown>, headers: Record<string, string> = {}) =>
    fetch(deployment.connector, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        authorization: `Bearer ${token}`,
        'mcp-protocol-version': '2025-11-25',
        ...headers,
      },
      body: JSON.stringify({ jsonrpc: '2.0', ...message }),
    });
  const request = (
    token: string,
    method: string,
    params: Record<string, unknown> = {},
    headers: Record<string, string> = { 'mcp-session-id': sessionId },
  ) => post(token, { id: nextId++, method, params }, headers);
  const tokenFor = async (user: string, scope: string) => {
    const flow = await oauth.obtainCode(user, scope);
    const issued = await oauth.exchange(flow);
    expect(issued.status).toBe(200);
    return issued.body.access_token!;
  };

  beforeAll(async () => {
    deployment = await deploy(kind, { sim: { dav: true } });
    tokens.alice = await tokenFor('alice', 'files.read');
    tokens.bob = await tokenFor('bob', 'files.read files.write');
  });
  afterAll(() => deployment?.stop());

  it(`opens a session answered in ${kind === 'php' ? 'JSON' : 'event streams'}`, async () => {
    const init = await post(tokens.alice!, {
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    });
    expect(init.status).toBe(200);
    expect(init.headers.get('content-type')).toContain(kind === 'php' ? 'application/json' : 'text/event-stream');
    sessionId = init.headers.get('mcp-session-id')!;
    expect(sessionId).toMatch(/^[\x21-\x7e]{16,}$/);
    const answer = await answerOf(init);
    expect(answer.result).toMatchObject({ protocolVersion: '2025-11-25', capabilities: { tools: {} } });
    expect((await post(tokens.alice!, { method: 'notifications/initialized' }, { 'mcp-session-id': sessionId })).status).toBe(202);

    const listed = await answerOf(await request(tokens.alice!, 'tools/list'));
    const names = (listed.result!.tools as Array<{ name: string }>).map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining(['whoami', 'files_list', 'files_read', 'search', 'fetch']));
    expect(names).not.toContain('files_write_text');
    expect(names.some((name) => name.startsWith('calendar_') || name.startsWith('talk_'))).toBe(false);

    const called = await answerOf(await request(tokens.alice!, 'tools/call', { name: 'files_list', arguments: { path: '/Plans' } }));
    expect(JSON.stringify(called.result)).toContain('Roadmap.md');
  });

  it('answers 403 insufficient_scope for a tool outside the grant, naming what to ask for', async () => {
    const refused = await request(tokens.alice!, 'tools/call', { name: 'files_write_text', arguments: { path: '/x.txt', content: 'x' } });
    expect(refused.status).toBe(403);
    const challenge = refused.headers.get('www-authenticate')!;
    expect(challenge).toContain('error="insufficient_scope"');
    expect(challenge).toMatch(/scope="files\.read files\.write"/);
    expect(challenge).toContain(`resource_metadata="${deployment.base}/.well-known/oauth-protected-resource/mcp"`);
    // A tool that does not exist at all is a protocol error, not a step-up.
    const unknown = await answerOf(await request(tokens.alice!, 'tools/call', { name: 'format_disk', arguments: {} }));
    expect(unknown.error?.message).toContain('Unknown tool');
  });

  it('keeps sessions to their owner: unknown, foreign and ended sessions are 404', async () => {
    expect((await request(tokens.alice!, 'tools/list', {}, { 'mcp-session-id': 'no-such-session' })).status).toBe(404);
    // bob's valid token does not open alice's session.
    expect((await request(tokens.bob!, 'tools/list')).status).toBe(404);
    const bobInit = await post(tokens.bob!, {
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    });
    const bobSession = bobInit.headers.get('mcp-session-id')!;
    expect(
      (
        await fetch(deployment.connector, {
          method: 'DELETE',
          headers: { authorization: `Bearer ${tokens.bob}`, 'mcp-session-id': bobSession },
        })
      ).status,
    ).toBe(200);
    expect((await request(tokens.bob!, 'tools/list', {}, { 'mcp-session-id': bobSession })).status).toBe(404);
    // A message outside any session is answered on its own (stateless).
    const stateless = await answerOf(await request(tokens.bob!, 'tools/list', {}, {}));
    expect((stateless.result!.tools as Array<{ name: string }>).map((tool) => tool.name)).toContain('files_write_text');
  });

  it('checks Origin and the protocol version header', async () => {
    const foreign = await request(tokens.alice!, 'tools/list', {}, { 'mcp-session-id': sessionId, origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    expect(((await foreign.json()) as Rpc).error?.message).toContain('https://evil.example');
    expect((await request(tokens.alice!, 'tools/list', {}, { 'mcp-session-id': sessionId, origin: 'http://localhost:6274' })).status).toBe(
      200,
    );
    expect(
      (await request(tokens.alice!, 'tools/list', {}, { 'mcp-session-id': sessionId, origin: new URL(deployment.base).origin })).status,
    ).toBe(200);
    expect(
      (await request(tokens.alice!, 'tools/list', {}, { 'mcp-session-id': sessionId, 'mcp-protocol-version': '1999-01-01' })).status,
    ).toBe(400);
  });

  it('checks the token before it looks at the body', async () => {
    const send = (body: string, headers: Record<string, string>) =>
      fetch(deployment.connector, { method: 'POST', headers: { accept: 'application/json, text/event-stream', ...headers }, body });
    expect((await send('{not json', { 'content-type': 'application/json' })).status).toBe(401);
    expect((await send('hello', { 'content-type': 'text/plain' })).status).toBe(401);
    const broken = await send('{not json', { 'content-type': 'application/json', authorization: `Bearer ${tokens.alice}` });
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as Rpc).error?.code).toBe(-32700);
    expect((await send('hello', { 'content-type': 'text/plain', authorization: `Bearer ${tokens.alice}` })).status).toBe(415);
  });

  it(
    kind === 'php' ? 'offers no standalone stream behind the buffering PHP proxy' : 'offers the standalone event stream behind HaRP',
    async () => {
      const controller = new AbortController();
      const stream = await fetch(deployment.connector, {
        headers: {
          accept: 'text/event-stream',
          authorization: `Bearer ${tokens.alice}`,
          'mcp-session-id': sessionId,
          'mcp-protocol-version': '2025-11-25',
        },
        signal: controller.signal,
      });
      if (kind === 'php') {
        expect(stream.status).toBe(405);
      } else {
        expect(stream.status).toBe(200);
        expect(stream.headers.get('content-type')).toContain('text/event-stream');
      }
      controller.abort();
    },
  );

  it("bob gets a clear tool error writing into alice's read-only share", async () => {
    const answer = await answerOf(
      await request(
        tokens.bob!,
        'tools/call',
        { name: 'files_write_text', arguments: { path: '/Shared/Plans/Hack.md', content: 'x' } },
        {},
      ),
    );
    const result = answer.result as unknown as CallToolResult;
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/read-only/i);
    expect(textOf(result)).toContain('/Shared/Plans');
  });

  it('ends a session on DELETE that names a JSON content type and carries no body', async () => {
    const init = await post(tokens.alice!, {
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    });
    const session = init.headers.get('mcp-session-id')!;
    await init.text();
    const ended = await fetch(deployment.connector, {
      method: 'DELETE',
      headers: {
        authorization: `Bearer ${tokens.alice}`,
        'content-type': 'application/json',
        'mcp-session-id': session,
        'mcp-protocol-version': '2025-11-25',
      },
    });
    expect(ended.status).toBe(200);
    expect((await request(tokens.alice!, 'tools/list', {}, { 'mcp-session-id': session })).status).toBe(404);
  });

  it('audits a refused tool call inside a JSON-RPC batch like the same call sent alone', async () => {
    const refusals = async () => {
      const response = await fetch(`${deployment.url('admin/api/v1/audit')}?user=alice`, {
        headers: { cookie: deployment.sim.sessionCookie('admin') },
      });
      const { entries } = (await response.json()) as { entries: Array<{ tool: string; errorCode: string | null }> };
      return entries.filter((entry) => entry.tool === 'files_create_folder' && entry.errorCode === 'insufficient_scope').length;
    };
    const before = await refusals();
    const batch = await fetch(deployment.connector, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        authorization: `Bearer ${tokens.alice}`,
        'mcp-protocol-version': '2025-03-26',
      },
      body: JSON.stringify([
        { jsonrpc: '2.0', id: 101, method: 'tools/list', params: {} },
        { jsonrpc: '2.0', id: 102, method: 'tools/call', params: { name: 'files_create_folder', arguments: { path: '/Batch' } } },
      ]),
    });
    expect(batch.status).toBe(403);
    expect(batch.headers.get('www-authenticate')).toContain('scope="files.read files.write"');
    expect(await refusals()).toBe(before + 1);
  });

  it('records every call in the audit log, which only admins can read', async () => {
    const read = (user: string, query = '') =>
      fetch(`${deployment.url('admin/api/v1/audit')}${query}`, { headers: { cookie: deployment.sim.sessionCookie(user) } });
    expect((await read('alice')).status).not.toBe(200);
    const response = await read('admin', '?user=alice');
    expect(response.status).toBe(200);
    const { entries } = (await response.json()) as {
      entries: Array<{ tool: string; outcome: string; target: string | null; errorCode: string | null }>;
    };
    expect(entries).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ tool: 'files_list', outcome: 'ok', target: expect.stringContaining('/Plans') }),
        expect.objectContaining({ tool: 'files_write_text', outcome: 'refused', errorCode: 'insufficient_scope' }),
      ]),
    );
    expect(JSON.stringify(entries)).not.toContain('Roadmap');
    const bad = await read('admin', '?outcome=maybe');
    expect(bad.status).toBe(400);
    const page = await fetch(deployment.url('admin/audit'), { headers: { cookie: deployment.sim.sessionCookie('admin') } });
    expect(await page.text()).toContain('files_write_text');
  });
});

describe.skipIf(!chromiumAvailable() && !process.env.CI).each<ProxyKind>(['php', 'harp'])('The SDK client through the %s proxy', (kind) => {
  let deployment: Deployment;
  let browser: Browser;
  let provider: BrowserOAuthProvider;

  beforeAll(async () => {
    deployment = await deploy(kind, { sim: { dav: true } });
    browser = await launchChromium();
    provider = await BrowserOAuthProvider.create(
      browser,
      { user: 'alice', password: 'alice', untick: ['files.write', 'calendar.read', 'calendar.write', 'talk.read', 'talk.write'] },
      { refresh: false },
    );
  });
  afterAll(async () => {
    await provider?.close();
    await browser?.close();
    await deployment?.stop();
  });

  it('steps up from a read-only grant to write in the same session, then search and fetch round-trip', async () => {
    let transport = new StreamableHTTPClientTransport(new URL(deployment.connector), { authProvider: provider });
    const client = new Client({ name: 'test-client', version: '1.0.0' });
    await client.connect(transport).catch(async (error: unknown) => {
      if (!(error instanceof UnauthorizedError)) throw error;
      await transport.finishAuth(await provider.authorizationCode());
      transport = new StreamableHTTPClientTransport(new URL(deployment.connector), { authProvider: provider });
      await client.connect(transport);
    });
    const names = (await client.listTools()).tools.map((tool) => tool.name);
    expect(names).toContain('files_read');
    expect(names).not.toContain('files_write_text');
    const session = transport.sessionId;
    expect(session).toBeTruthy();

    // The write is refused with 403; the SDK asks for the wider scope in the browser, where alice consents.
    provider.setPerson({ user: 'alice', password: 'alice' });
    const write = {
      name: 'files_write_text',
      arguments: { path: '/Documents/From the assistant.md', content: '# Hello\n\nWritten after a step-up.\n' },
    };
    await expect(client.callTool(write)).rejects.toBeInstanceOf(UnauthorizedError);
    expect(provider.authorizationUrls.at(-1)!.searchParams.get('scope')).toContain('files.write');
    await transport.finishAuth(await provider.authorizationCode());
    const written = await client.callTool(write);
    expect(written.isError).toBeFalsy();
    expect(transport.sessionId).toBe(session);
    expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('files_write_text');
    const readBack = (await client.callTool({
      name: 'files_read',
      arguments: { path: '/Documents/From the assistant.md' },
    })) as CallToolResult;
    expect(textOf(readBack)).toContain('Written after a step-up.');

    // ChatGPT's search and fetch: one text item holding JSON, ids that fetch resolves as the same user.
    const found = (await client.callTool({ name: 'search', arguments: { query: 'Roadmap' } })) as CallToolResult;
    expect(found.content).toHaveLength(1);
    const { results } = JSON.parse(textOf(found)) as { results: Array<{ id: string; title: string; url: string }> };
    const roadmap = results.find((result) => result.title.includes('Roadmap'))!;
    expect(roadmap.url.startsWith('http')).toBe(true);
    const fetched = (await client.callTool({ name: 'fetch', arguments: { id: roadmap.id } })) as CallToolResult;
    expect(fetched.content).toHaveLength(1);
    const document = JSON.parse(textOf(fetched)) as { id: string; title: string; text: string; url: string };
    expect(document.id).toBe(roadmap.id);
    expect(document.text).toContain('Q4: launch');
    await client.close();
  });

  it.runIf(kind === 'harp')(
    'serves the same tools over the legacy HTTP+SSE transport, signing in from a cold start for its own resource',
    async () => {
      // A new client: tokens for the connector's /mcp are not accepted at /sse, which is a resource of its own.
      const legacy = await BrowserOAuthProvider.create(browser, { user: 'alice', password: 'alice' });
      try {
        const connection = await connectWithOAuth(deployment.url('sse'), legacy, { transport: 'sse' });
        expect(legacy.authorizationUrls[0]!.searchParams.get('resource')).toBe(deployment.url('sse'));
        const me = await connection.callTool({ name: 'whoami', arguments: {} });
        expect(me.structuredContent).toMatchObject({ userId: 'alice' });
        const listed = await connection.callTool({ name: 'files_list', arguments: { path: '/Documents' } });
        expect(textOf(listed)).toContain('From the assistant.md');
        await connection.close();
      } finally {
        await legacy.close();
      }
    },
  );

  it.runIf(kind === 'php')('refuses the legacy HTTP+SSE stream behind the PHP proxy at once, saying what to use instead', async () => {
    const response = await fetch(deployment.url('sse'), { headers: { accept: 'text/event-stream' } });
    expect(response.status).toBe(405);
    const { error } = (await response.json()) as { error: { message: string } };
    expect(error.message).toContain("Nextcloud's PHP proxy cannot hold");
    expect(error.message).toContain(`${deployment.connector}, which answers every request in JSON`);
    await expect(
      new Client({ name: 'legacy-client', version: '1.0.0' }).connect(
        new SSEClientTransport(new URL(deployment.url('sse')), { authProvider: provider }),
      ),
    ).rejects.toThrow(/405/);
  });
});
