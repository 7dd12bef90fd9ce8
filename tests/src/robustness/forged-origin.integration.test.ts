// HaRP's browser path passes a client's headers on untouched, X-Origin-IP and harp-shared-key included, while the
// PHP proxy replaces X-Origin-IP with the address it saw. Behind HaRP the app believes X-Origin-IP only on a request
// carrying the daemon's shared key, which AppAPI adds to its own: a client cannot pick its entrance with the header,
// nor make itself a new source address per request to escape the limit on anonymous client registrations.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deployment } from '../../support/deployment.js';
import { deploy } from '../../support/deployment.js';
import { redirectUri } from '../../support/oauth-raw.js';
import { defaultAnonymousLimits } from '../../../src/oauth/rate-limit.js';

/** The registrations one source may make at once (the limiter's burst). */
const BURST = 60;

describe('a client X-Origin-IP sent through HaRP', () => {
  let deployment: Deployment;
  let harp: string;
  let php: string;
  const forged = (n: number) => ({ 'x-origin-ip': `198.51.100.${n % 250}`, 'harp-shared-key': `guessed-${n}` });

  const register = (base: string, headers: Record<string, string> = {}) =>
    fetch(`${base}/oauth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({
        client_name: 'Forged origin test client',
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code', 'refresh_token'],
        token_endpoint_auth_method: 'none',
      }),
    });
  const initialize = (url: string, headers: Record<string, string> = {}) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
      }),
    });
  const metadataOf = (response: Response) => /resource_metadata="([^"]+)"/.exec(response.headers.get('www-authenticate') ?? '')?.[1];

  beforeAll(async () => {
    // The test relies on the limit it means to check: a burst, then one a minute or so.
    const limits = defaultAnonymousLimits();
    expect([...Array(BURST + 1)].map(() => limits.registrations.take('one source')).filter(Boolean)).toHaveLength(BURST);
    deployment = await deploy('harp');
    harp = deployment.base;
    php = `${deployment.sim.url}/index.php/apps/app_api/proxy/mcp_gateway`;
  });
  afterAll(() => deployment?.stop());

  it('is still served as the HaRP entrance: its URLs, and the event stream the PHP proxy could not hold', async () => {
    const refused = await initialize(`${harp}/mcp`, forged(1));
    expect(refused.status).toBe(401);
    expect(metadataOf(refused)).toBe(`${harp}/.well-known/oauth-protected-resource/mcp`);
    // /sse is refused before sign-in (405) only where no stream can be held; here it asks for a token.
    const sse = await fetch(`${harp}/sse`, { headers: { accept: 'text/event-stream', ...forged(2) } });
    expect(sse.status).toBe(401);
    expect(metadataOf(sse)).toBe(`${harp}/.well-known/oauth-protected-resource/sse`);
    const server = (await (await fetch(`${harp}/.well-known/oauth-authorization-server`, { headers: forged(3) })).json()) as {
      issuer: string;
    };
    expect(server.issuer).toBe(harp);
  });

  it('through the PHP proxy on the same daemon, the app answers as the PHP proxy', async () => {
    // The PHP proxy replaces a client's X-Origin-IP (a client's harp-shared-key would make HaRP drop the request).
    const refused = await initialize(`${php}/mcp`, { 'x-origin-ip': '198.51.100.4' });
    expect(refused.status).toBe(401);
    expect(metadataOf(refused)).toBe(`${php}/.well-known/oauth-protected-resource/mcp`);
    const sse = await fetch(`${php}/sse`, { headers: { accept: 'text/event-stream' } });
    expect(sse.status).toBe(405);
    expect(sse.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('does not let rotating values escape the per-source limit on client registrations', async () => {
    for (let n = 0; n < BURST; n++) expect((await register(harp, forged(n))).status).toBe(201);
    const refused = await register(harp, forged(BURST));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // The PHP proxy's X-Origin-IP is believed: the address it saw is another source than HaRP's connection.
    const viaPhp = await register(php, { 'x-origin-ip': '198.51.100.1' });
    expect(viaPhp.status).toBe(201);
    await deployment.app.waitForOutput('too many from this address');
    expect(deployment.app.output()).not.toContain('test-harp-key');
  });
});
