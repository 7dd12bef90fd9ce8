// No request is left unanswered: a call still running when its session ends (the client's DELETE, eviction by the
// session bounds) or when the app stops gets an error answer, and a second request with an id still in flight is
// refused without costing the first its answer. Nextcloud is made slow on purpose so a call stays in flight.
import { Client } from '@modelcontextprotocol/client';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Deployment, ProxyKind } from '../../support/deployment.js';
import { deploy } from '../../support/deployment.js';
import { rawOAuth } from '../../support/oauth-raw.js';
import { answerOf } from '../../support/rpc.js';

/**
 * talk_list_conversations asks Talk for the user's conversations: holding that request keeps the call in flight.
 * (whoami no longer asks Nextcloud: it answers from the account the token check read.)
 */
const roomsLookup = (method: string, path: string) => method === 'GET' && path === '/ocs/v2.php/apps/spreed/api/v4/room';

describe.each<ProxyKind>(['php', 'harp'])('requests in flight through the %s proxy', (kind) => {
  let deployment: Deployment;
  const oauth = rawOAuth(() => deployment);
  let token = '';

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(deployment.connector, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        authorization: `Bearer ${token}`,
        'mcp-protocol-version': '2025-11-25',
        ...headers,
      },
      body: JSON.stringify(body),
    });
  const openSession = async () => {
    const init = await post({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    });
    expect(init.status).toBe(200);
    await init.text();
    return init.headers.get('mcp-session-id')!;
  };
  const whoami = (id: number, session: string) =>
    post({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'whoami', arguments: {} } }, { 'mcp-session-id': session });
  const conversations = (id: number, session: string) =>
    post(
      { jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'talk_list_conversations', arguments: {} } },
      { 'mcp-session-id': session },
    );
  const apollo = { structuredContent: { conversations: expect.arrayContaining([expect.objectContaining({ name: 'Project Apollo' })]) } };

  beforeAll(async () => {
    deployment = await deploy(kind, { sim: { dav: false } });
    const issued = await oauth.exchange(await oauth.obtainCode('alice', 'files.read talk.read'));
    token = issued.body.access_token!;
    // Once, so the policy and the account facts are cached and only the tool's own lookup is held below.
    const warm = await openSession();
    expect((await answerOf(await whoami(1, warm))).result).toBeDefined();
    expect((await answerOf(await conversations(2, warm))).result).toMatchObject(apollo);
  });
  afterAll(() => deployment?.stop());

  /** Calls of talk_list_conversations the app has finished (it audits a call once its tool has returned). */
  const finishedLookups = async () => {
    const response = await fetch(`${deployment.url('admin/api/v1/audit')}?user=alice&tool=talk_list_conversations&limit=1000`, {
      headers: { cookie: deployment.sim.sessionCookie('admin') },
    });
    expect(response.status).toBe(200);
    return ((await response.json()) as { entries: unknown[] }).entries.length;
  };

  it('answers a call with an error when the client ends its session, and refuses a second use of its id', async () => {
    const finishedBefore = await finishedLookups();
    const session = await openSession();
    const hold = deployment.sim.holdRequests(roomsLookup);
    try {
      const call = conversations(7, session);
      await hold.reached();
      const duplicate = await conversations(7, session);
      expect(duplicate.status).toBe(409);
      expect(((await duplicate.json()) as { error: { message: string } }).error.message).toContain('Request id 7 is still being answered');
      const ended = await fetch(deployment.connector, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${token}`, 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' },
      });
      expect(ended.status).toBe(200);
      const answer = await answerOf(await call);
      expect(answer.id).toBe(7);
      expect(answer.error?.message).toMatch(/session ended \(the client ended it\) before this request was answered/);
    } finally {
      hold.release();
    }
    // The tool finishing afterwards, into a closed exchange, harms nothing: once it has finished (and been audited),
    // the app still answers.
    await vi.waitFor(async () => expect(await finishedLookups()).toBe(finishedBefore + 1), { timeout: 20_000, interval: 20 });
    expect((await answerOf(await whoami(8, await openSession()))).result).toMatchObject({ structuredContent: { userId: 'alice' } });
  });

  it('keeps the first answer of an id when a second request reuses it', async () => {
    const session = await openSession();
    const hold = deployment.sim.holdRequests(roomsLookup);
    const call = conversations(9, session);
    await hold.reached();
    expect((await conversations(9, session)).status).toBe(409);
    hold.release();
    expect((await answerOf(await call)).result).toMatchObject(apollo);
  });

  it('answers a call with an error when its session is pushed out by the session bounds', async () => {
    const session = await openSession();
    const hold = deployment.sim.holdRequests(roomsLookup);
    try {
      const call = conversations(11, session);
      await hold.reached();
      // One user and client keeps 20 sessions: the oldest, with the call in flight, goes.
      for (let index = 0; index < 20; index++) await openSession();
      const answer = await answerOf(await call);
      expect(answer.error?.message).toMatch(/session ended \(the app opened too many sessions\)/);
    } finally {
      hold.release();
    }
  });
});

describe('stopping the app', () => {
  let deployment: Deployment;
  const oauth = rawOAuth(() => deployment);

  beforeAll(async () => {
    deployment = await deploy('php', { sim: { dav: false } });
  });
  afterAll(() => deployment?.stop());

  it('ends within a few seconds of SIGTERM, answering the 2025 and 2026-07-28 calls still in flight', async () => {
    const token = (await oauth.exchange(await oauth.obtainCode('alice', 'files.read talk.read'))).body.access_token!;
    const headers = { authorization: `Bearer ${token}` };
    const legacy = new Client({ name: 'legacy', version: '1' });
    await legacy.connect(new StreamableHTTPClientTransport(new URL(deployment.connector), { requestInit: { headers } }));
    const modern = new Client({ name: 'modern', version: '1' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await modern.connect(new StreamableHTTPClientTransport(new URL(deployment.connector), { requestInit: { headers } }));
    expect(modern.getNegotiatedProtocolVersion()).toBe('2026-07-28');
    // Warm the caches, then hold the tools' own lookups.
    await legacy.callTool({ name: 'whoami', arguments: {} });
    const hold = deployment.sim.holdRequests(roomsLookup);
    try {
      const calls = [legacy, modern].map((client) =>
        client.callTool({ name: 'talk_list_conversations', arguments: {} }).then(
          () => 'answered',
          (error: Error) => error.message,
        ),
      );
      // Both calls are in flight once both lookups are held.
      await vi.waitFor(() => expect(hold.held).toBeGreaterThanOrEqual(2), { timeout: 10_000, interval: 10 });
      // 'close' rather than 'exit': the app's last log lines are read from its pipes by then.
      const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
        deployment.app.process.once('close', (code, signal) => resolve({ code, signal })),
      );
      deployment.app.process.kill('SIGTERM');
      // It exits by itself, cleanly: closing answered the calls and ended the connections, so the app's own
      // 3 s fallback for connections that linger ("exiting anyway") did not have to end it.
      expect(await exited).toEqual({ code: 0, signal: null });
      expect(deployment.app.output()).toContain('shutting down');
      expect(deployment.app.output()).not.toContain('exiting anyway');
      const outcomes = await Promise.all(calls);
      for (const outcome of outcomes) expect(outcome).toMatch(/app is stopping/);
    } finally {
      hold.release();
    }
  });
});
