// whoami answers from the account the token check has just read (at most the policy TTL old), so a call costs no
// request to Nextcloud; a tool run without that account (no token check in front of it) still asks Nextcloud.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { whoami } from '../../../src/tools/account/whoami.js';
import type { InProcessApp } from '../../support/in-process-app.js';
import { startInProcessApp } from '../../support/in-process-app.js';
import { injectToken } from '../../support/inject-oauth.js';
import { toolHarness } from '../../support/tool-harness.js';

let target: InProcessApp;
let token: string;

beforeAll(async () => {
  target = await startInProcessApp();
  token = (await injectToken(target, 'alice', 'files.read')).accessToken;
});
afterAll(() => target?.stop());

const accountLookup = (method: string, path: string) => method === 'GET' && path === '/ocs/v2.php/cloud/user';

/** A 2025 tools/call sent without a session, answered on its own in JSON (the PHP proxy's entrance). */
const call = (id: number, name: string) =>
  target.app.inject({
    method: 'POST',
    url: '/mcp',
    headers: {
      ...target.appApi('alice'),
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-06-18',
      'x-origin-ip': '203.0.113.7',
    },
    payload: { jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: {} } },
  });

describe('whoami', () => {
  it('answers without asking Nextcloud again, with what the token check read', async () => {
    // The account facts are fresh: the sign-in just checked them.
    const hold = target.fixture.sim.holdRequests(accountLookup);
    try {
      const response = await call(1, 'whoami');
      expect(response.statusCode).toBe(200);
      const answer = response.json() as { result: { isError?: boolean; structuredContent: Record<string, unknown> } };
      expect(answer.result.isError).toBeFalsy();
      expect(answer.result.structuredContent).toEqual({
        userId: 'alice',
        displayName: 'Alice Liddell',
        email: 'alice@example.com',
        scopes: ['files.read'],
        clientId: expect.any(String),
        readOnlyMode: false,
        folderAllowlist: [],
      });
      expect(hold.held).toBe(0);
    } finally {
      hold.release();
    }
  });

  it('asks Nextcloud when it is run without the account (no token check in front of it)', async () => {
    const hold = target.fixture.sim.holdRequests(accountLookup);
    const running = toolHarness(target.fixture.nextcloud, target.fixture.sim.url).call(whoami, {}, { user: 'bob' });
    await hold.reached();
    hold.release();
    const result = await running;
    expect(result.isError).toBe(false);
    expect(result.structured).toMatchObject({ userId: 'bob', displayName: 'Bob Builder' });
  });
});
