// Every URL a client can call is its own protected resource (RFC 9728 §3.3): the PHP proxy and HaRP, /mcp and the
// legacy /sse. Each answers a 401 naming metadata for itself, issues tokens for the resource the client asked for,
// and accepts a token only at that resource. Behind the PHP proxy nothing is held open.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deployment } from '../../support/deployment.js';
import { deploy } from '../../support/deployment.js';
import { rawOAuth } from '../../support/oauth-raw.js';

type Entrance = 'harp' | 'php';

describe('a HaRP deployment, reached through HaRP and through the PHP proxy', () => {
  let deployment: Deployment;
  const bases = {} as Record<Entrance, string>;
  /** The deployment as a client of one entrance sees it. */
  const at = (entrance: Entrance): Deployment => ({
    ...deployment,
    base: bases[entrance],
    connector: `${bases[entrance]}/mcp`,
    url: (suffix) => `${bases[entrance]}/${suffix.replace(/^\//, '')}`,
  });
  const oauth = { harp: rawOAuth(() => at('harp')), php: rawOAuth(() => at('php')) };

  /** A token for `resource`, obtained through the OAuth endpoints of `entrance`. */
  const tokenFor = async (entrance: Entrance, resource: string, scope = 'files.read') => {
    const flow = await oauth[entrance].obtainCode('alice', scope, resource);
    const issued = await oauth[entrance].exchange(flow, { resource });
    expect(issued.status).toBe(200);
    return issued.body.access_token!;
  };
  const initialize = (url: string, token?: string, headers: Record<string, string> = {}) =>
    fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
      }),
    });

  beforeAll(async () => {
    deployment = await deploy('harp', { sim: { dav: true } });
    bases.harp = deployment.base;
    bases.php = `${deployment.sim.url}/index.php/apps/app_api/proxy/mcp_gateway`;
  });
  afterAll(() => deployment?.stop());

  it.each([
    ['harp', 'mcp'],
    ['harp', 'sse'],
    ['php', 'mcp'],
  ] as const)('%s /%s: the 401 points to metadata naming that very URL, whose issuer is the same entrance', async (entrance, path) => {
    const url = `${bases[entrance]}/${path}`;
    const response = path === 'sse' ? await fetch(url, { headers: { accept: 'text/event-stream' } }) : await initialize(url);
    expect(response.status).toBe(401);
    const metadataUrl = /resource_metadata="([^"]+)"/.exec(response.headers.get('www-authenticate') ?? '')![1]!;
    expect(metadataUrl).toBe(`${bases[entrance]}/.well-known/oauth-protected-resource/${path}`);
    const metadata = (await (await fetch(metadataUrl)).json()) as { resource: string; authorization_servers: string[] };
    expect(metadata.resource).toBe(url);
    expect(metadata.authorization_servers).toEqual([bases[entrance]]);
    const server = (await (await fetch(`${bases[entrance]}/.well-known/oauth-authorization-server`)).json()) as Record<string, string>;
    expect(server.issuer).toBe(bases[entrance]);
    expect(server.token_endpoint).toBe(`${bases[entrance]}/oauth/token`);
    expect(server.authorization_endpoint).toBe(`${bases[entrance]}/oauth/authorize`);
  });

  it('accepts a token only at the resource it was issued for', async () => {
    const harpMcp = await tokenFor('harp', `${bases.harp}/mcp`);
    const phpMcp = await tokenFor('php', `${bases.php}/mcp`);
    const harpSse = await tokenFor('harp', `${bases.harp}/sse`);

    expect((await initialize(`${bases.harp}/mcp`, harpMcp)).status).toBe(200);
    expect((await initialize(`${bases.php}/mcp`, phpMcp)).status).toBe(200);
    for (const [url, token] of [
      [`${bases.php}/mcp`, harpMcp],
      [`${bases.harp}/mcp`, phpMcp],
      [`${bases.harp}/mcp`, harpSse],
    ] as const) {
      const refused = await initialize(url, token);
      expect(refused.status).toBe(401);
      const challenge = refused.headers.get('www-authenticate')!;
      expect(challenge).toContain('error="invalid_token"');
      expect(challenge).toContain('issued for another resource');
      expect(challenge).toContain(`resource_metadata="${url.replace(/\/mcp$/, '')}/.well-known/oauth-protected-resource/mcp"`);
    }
    // /messages belongs to /sse: a token for /mcp does not reach it.
    const messages = await fetch(`${bases.harp}/messages?sessionId=x`, {
      method: 'POST',
      headers: { authorization: `Bearer ${harpMcp}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(messages.status).toBe(401);
  });

  it('names the /messages URL of the entrance in the legacy endpoint event', async () => {
    const token = await tokenFor('harp', `${bases.harp}/sse`);
    const controller = new AbortController();
    const response = await fetch(`${bases.harp}/sse`, {
      headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    let text = '';
    while (!text.includes('\n\n')) text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    expect(text).toMatch(/^event: endpoint\ndata: \/exapps\/mcp_gateway\/messages\?sessionId=[\w-]+/);
  });

  it('refuses a resource it does not serve, and one of another entrance only where it is presented', async () => {
    const client = await oauth.harp.register();
    const { challenge } = oauth.harp.pkce();
    const page = await oauth.harp.authorizePage(
      {
        client_id: client.body.client_id,
        redirect_uri: 'http://127.0.0.1:4999/callback',
        response_type: 'code',
        code_challenge: challenge,
        code_challenge_method: 'S256',
        scope: 'files.read',
        state: 's',
        resource: `${deployment.sim.url}/somewhere/else/mcp`,
      },
      'alice',
    );
    // A client registered a moment ago: the error is shown with a link back, not redirected by itself.
    expect(oauth.harp.navigationTarget(page.page)).toBeNull();
    const target = new URL(oauth.harp.returnLink(page.page)!);
    expect(target.searchParams.get('error')).toBe('invalid_target');
    // Issued at HaRP's endpoints for the PHP proxy's /mcp: valid there, not at HaRP.
    const crossed = await tokenFor('harp', `${bases.php}/mcp`);
    expect((await initialize(`${bases.php}/mcp`, crossed)).status).toBe(200);
    expect((await initialize(`${bases.harp}/mcp`, crossed)).status).toBe(401);
  });

  it('answers in JSON through the PHP proxy and streams through HaRP, for the same kind of request', async () => {
    const viaPhp = await initialize(`${bases.php}/mcp`, await tokenFor('php', `${bases.php}/mcp`));
    expect(viaPhp.headers.get('content-type')).toContain('application/json');
    const viaHarp = await initialize(`${bases.harp}/mcp`, await tokenFor('harp', `${bases.harp}/mcp`));
    expect(viaHarp.headers.get('content-type')).toContain('text/event-stream');
    await viaHarp.text();
  });

  /** A 2026-07-28 subscriptions/listen request, with the per-request envelope the SDK v2 client sends. */
  const listen = (url: string, token: string) =>
    fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        authorization: `Bearer ${token}`,
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': 'subscriptions/listen',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 'listen-1',
        method: 'subscriptions/listen',
        params: {
          notifications: { toolsListChanged: true },
          _meta: {
            'io.modelcontextprotocol/protocolVersion': '2026-07-28',
            'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
            'io.modelcontextprotocol/clientCapabilities': {},
          },
        },
      }),
    });

  it('refuses every held-open response behind the PHP proxy, naming the HaRP URL that streams', async () => {
    const token = await tokenFor('php', `${bases.php}/mcp`);
    const init = await initialize(`${bases.php}/mcp`, token);
    const session = init.headers.get('mcp-session-id')!;
    await init.text();
    const stream = await fetch(`${bases.php}/mcp`, {
      headers: {
        authorization: `Bearer ${token}`,
        accept: 'text/event-stream',
        'mcp-session-id': session,
        'mcp-protocol-version': '2025-11-25',
      },
    });
    expect(stream.status).toBe(405);
    expect(((await stream.json()) as { error: { message: string } }).error.message).toContain(`${bases.harp}/mcp (HaRP)`);
    const legacy = await fetch(`${bases.php}/sse`, { headers: { accept: 'text/event-stream' } });
    expect(legacy.status).toBe(405);
    expect(((await legacy.json()) as { error: { message: string } }).error.message).toContain(`${bases.harp}/sse (HaRP)`);
    // subscriptions/listen, the 2026-07-28 stream: with no change notifications on offer it is acknowledged empty
    // and completes at once, through either proxy.
    for (const [url, entranceToken] of [
      [`${bases.php}/mcp`, token],
      [`${bases.harp}/mcp`, await tokenFor('harp', `${bases.harp}/mcp`)],
    ] as const) {
      const subscription = await listen(url, entranceToken);
      expect(subscription.status).toBe(200);
      const events = await subscription.text();
      expect(events).toContain('"method":"notifications/subscriptions/acknowledged","params":{"notifications":{}');
      expect(events).toContain('"id":"listen-1","result":{"resultType":"complete"');
    }
    // Nothing the app answered holds a PHP worker.
    expect(deployment.sim.phpProxy.busyWorkers).toBe(0);
  });
});
