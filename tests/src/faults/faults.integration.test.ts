// The real app process with a misbehaving network between it and Nextcloud: refused connections, a Nextcloud that
// never answers, HTML pages, random bytes, answers cut in the middle. Every tool call must end in a clear error that
// names Nextcloud, within one Nextcloud timeout, and never as an empty success or "failed unexpectedly";
// initialize and tools/list keep answering; the status page reports the outage; once the network is healthy again
// the same session works without a restart. A user backend that is down must not cost anyone their token.
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deployment } from '../../support/deployment.js';
import { deploy } from '../../support/deployment.js';
import type { FaultMode, FaultProxy } from '../../support/fault-proxy.js';
import { FAULT_MODES, startFaultProxy } from '../../support/fault-proxy.js';
import { rawOAuth } from '../../support/oauth-raw.js';

const TIMEOUT_MS = 1500;

const CALLS: Array<{ name: string; arguments: Record<string, unknown> }> = [
  { name: 'files_list', arguments: { path: '/' } },
  { name: 'files_read', arguments: { path: '/Readme.md' } },
  { name: 'calendar_list_events', arguments: {} },
  { name: 'search', arguments: { query: 'Readme' } },
  { name: 'talk_list_conversations', arguments: {} },
  { name: 'talk_read_messages', arguments: { token: 'alicebob1' } },
  { name: 'talk_search_messages', arguments: { term: 'hello' } },
];

let deployment: Deployment;
let proxy: FaultProxy;
const oauth = rawOAuth(() => deployment);
let accessToken = '';
let refreshToken = '';
let clientId = '';

async function connect(token = accessToken): Promise<Client> {
  const client = new Client({ name: 'fault-test', version: '1' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(deployment.connector), { requestInit: { headers: { authorization: `Bearer ${token}` } } }),
  );
  return client;
}

function textOf(result: Awaited<ReturnType<Client['callTool']>>): string {
  const first = (result.content as Array<{ type: string; text?: string }>)[0];
  return first?.type === 'text' ? (first.text ?? '') : '';
}

/**
 * What `work` sent to Nextcloud, and whether it waited for Nextcloud at most once. A wait is a request the proxy
 * stalls, which the app gives up on after its timeout; a second wait would be a request sent after the app had
 * given up on one before it. Told from the order of events at the proxy, not from a clock, so a slow machine
 * changes nothing: waits that overlap (requests sent side by side) are one wait.
 */
async function observed<T>(work: () => Promise<T>): Promise<{ value: T; requests: FaultProxy['seen']; waitedAtMostOnce: boolean }> {
  const from = proxy.seen.length;
  const value = await work();
  const requests = proxy.seen.slice(from);
  const waitedAtMostOnce = requests.every((request) => requests.every((stalled) => (stalled.givenUp ?? Infinity) > request.arrived));
  return { value, requests, waitedAtMostOnce };
}

/** What the call's message must not say for a fault that is answered at once (nothing was waited for). */
const WAITED = /did not answer|not answering|stopped sending|within \d+ ms|in time/;

const initialize = (token: string) =>
  fetch(deployment.connector, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 7,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    }),
  });

beforeAll(async () => {
  deployment = await deploy('php', {
    sim: { dav: true },
    env: async (sim) => {
      proxy = await startFaultProxy(sim.url);
      return {
        NEXTCLOUD_URL: proxy.url,
        // Clients still reach the app through the simulator's proxy; only the app's own calls go through the faults.
        MCP_GATEWAY_PUBLIC_URL: `${sim.url}/index.php/apps/app_api/proxy/mcp_gateway`,
        NEXTCLOUD_TIMEOUT_MS: String(TIMEOUT_MS),
        // Nothing cached: every request asks Nextcloud for the policy and the account, as after the caches expired.
        MCP_GATEWAY_POLICY_TTL_SECONDS: '0',
      };
    },
  });
  const flow = await oauth.obtainCode('alice', 'files.read calendar.read talk.read');
  const issued = await oauth.exchange(flow);
  expect(issued.status).toBe(200);
  accessToken = issued.body.access_token!;
  refreshToken = issued.body.refresh_token!;
  clientId = flow.clientId;
}, 60_000);
afterAll(async () => {
  await deployment?.stop();
  await proxy?.close();
});

describe('a misbehaving network between the app and Nextcloud', () => {
  let client: Client;

  beforeAll(async () => {
    client = await connect();
    // Every call works while the network is healthy (and CalDAV discovery is done once, as in real use).
    for (const call of CALLS) {
      const result = await client.callTool(call);
      expect(result.isError, `${call.name}: ${textOf(result)}`).toBeFalsy();
    }
  }, 60_000);
  afterAll(() => client?.close());

  describe.each<FaultMode>([...FAULT_MODES])('%s', (mode) => {
    beforeAll(() => proxy.set(mode));
    afterAll(() => proxy.set('pass'));

    it.each(CALLS.map((call) => [call.name, call] as const))('%s ends in a clear error within one timeout', async (_name, call) => {
      const { value: result, requests, waitedAtMostOnce } = await observed(() => client.callTool(call));
      const text = textOf(result);
      expect(result.isError, text).toBe(true);
      expect(text).toMatch(/Nextcloud/);
      expect(text).not.toMatch(/failed unexpectedly/);
      expect(requests.filter((request) => request.mode === mode).length, 'the call met the fault').toBeGreaterThan(0);
      expect(waitedAtMostOnce, JSON.stringify(requests)).toBe(true);
      // Every other fault is answered at once: the call must not have waited out a timeout on it either.
      if (mode !== 'stall') expect(text).not.toMatch(WAITED);
    });

    it('keeps answering initialize and tools/list within one timeout', async () => {
      const listed = await observed(() => client.listTools());
      expect(listed.value.tools.map((tool) => tool.name)).toEqual(
        expect.arrayContaining(['files_list', 'calendar_list_events', 'talk_read_messages', 'search']),
      );
      expect(listed.waitedAtMostOnce, JSON.stringify(listed.requests)).toBe(true);
      // The bound is per request: a client's connect is initialize and then its notification, two requests.
      const initialized = await observed(() => initialize(accessToken));
      expect(initialized.value.status).toBe(200);
      expect(((await initialized.value.json()) as { result?: { serverInfo?: unknown } }).result?.serverInfo).toBeTruthy();
      expect(initialized.waitedAtMostOnce, JSON.stringify(initialized.requests)).toBe(true);
      const fresh = await connect();
      expect(fresh.getServerVersion()?.name).toBeTruthy();
      await fresh.close();
    });

    it('reports the trouble on the status page instead of failing it', async () => {
      const response = await fetch(deployment.url('admin/api/v1/status'), { headers: { cookie: deployment.sim.sessionCookie('admin') } });
      expect(response.status).toBe(200);
      const status = (await response.json()) as { nextcloud: { reachable: boolean; error: string | null; problems: string[] } };
      expect(status.nextcloud.reachable).toBe(false);
      expect(status.nextcloud.error).toMatch(/Nextcloud/);
      expect(status.nextcloud.problems.join('\n')).toMatch(/Reading Nextcloud's version failed/);
    });
  });

  it('works again in the same session once the network is healthy, and audited the faults as errors', async () => {
    proxy.set('pass');
    for (const call of CALLS) {
      const result = await client.callTool(call);
      expect(result.isError, `${call.name}: ${textOf(result)}`).toBeFalsy();
    }
    const audit = await fetch(deployment.url('admin/api/v1/audit?user=alice&limit=1000'), {
      headers: { cookie: deployment.sim.sessionCookie('admin') },
    });
    expect(audit.status).toBe(200);
    const { entries } = (await audit.json()) as { entries: Array<{ tool: string; outcome: string; errorCode: string | null }> };
    const faulted = entries.filter((entry) => entry.outcome !== 'ok');
    expect(faulted.length).toBeGreaterThanOrEqual(FAULT_MODES.length * CALLS.length);
    // Nextcloud's faults are Nextcloud errors, not failures of the app.
    expect(faulted.filter((entry) => entry.outcome === 'failed' || entry.errorCode === 'internal')).toEqual([]);
  });
});

describe('after a restart while Nextcloud does not answer', () => {
  afterAll(() => proxy.set('pass'));

  it('answers 503 with a JSON-RPC error naming Nextcloud and when to retry, within one timeout', async () => {
    proxy.set('stall');
    await deployment.crashAndRestart();
    const { value: response, requests, waitedAtMostOnce } = await observed(() => initialize(accessToken));
    expect(response.status).toBe(503);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    const body = (await response.json()) as { jsonrpc: string; id: unknown; error: { code: number; message: string } };
    expect(body).toMatchObject({ jsonrpc: '2.0', id: 7 });
    expect(body.error.message).toMatch(/Nextcloud/);
    expect(requests.filter((request) => request.mode === 'stall').length).toBeGreaterThan(0);
    expect(waitedAtMostOnce, JSON.stringify(requests)).toBe(true);
    proxy.set('pass');
    expect((await initialize(accessToken)).status).toBe(200);
  });
});

describe('a user backend that is down', () => {
  it('answers "retry" to MCP requests and refreshes instead of refusing the token, and recovers', async () => {
    deployment.sim.setUserBackendDown('alice', true);
    try {
      const refused = await initialize(accessToken);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('www-authenticate')).toBeNull();
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      const body = (await refused.json()) as { error: { message: string } };
      expect(body.error.message).toMatch(/Nextcloud could not confirm the account alice/);
      const refresh = await oauth.token({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId });
      expect(refresh.status).toBe(503);
      expect(refresh.body.error).not.toBe('invalid_grant');
    } finally {
      deployment.sim.setUserBackendDown('alice', false);
    }
    expect((await initialize(accessToken)).status).toBe(200);
    // The refresh token was not spent by the refused attempt.
    expect((await oauth.token({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId })).status).toBe(200);
  });
});
