// Clients identified by the URL of their metadata document (the way ChatGPT and Claude prefer), through the
// app's authorize and token endpoints. The documents are served from a loopback host, which the production
// fetcher refuses (see client-metadata-document.test.ts for that); here the app gets a fetcher that allows it.
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClientMetadataFetcher } from '../../../src/oauth/client-metadata-document.js';
import { close, listen } from '../../support/http-server.js';
import type { InProcessApp } from '../../support/in-process-app.js';
import { startInProcessApp } from '../../support/in-process-app.js';
import type { LibFixture } from '../../support/lib-fixture.js';

let target: InProcessApp;
let fixture: LibFixture;
let app: FastifyInstance;
let documents: http.Server;
let documentBase: string;
const redirectUri = 'https://chatgpt.com/connector/oauth/cb-123';

const served = new Map<string, { body: string; type?: string }>();

beforeAll(async () => {
  documents = http.createServer((request, response) => {
    const entry = served.get(request.url ?? '');
    if (!entry) return void response.writeHead(404).end();
    response.writeHead(200, { 'content-type': entry.type ?? 'application/json' }).end(entry.body);
  });
  documentBase = await listen(documents);
  // The policy is read fresh on every request, so a setting the administrator changes applies at once.
  target = await startInProcessApp({
    env: { MCP_GATEWAY_POLICY_TTL_SECONDS: '0' },
    deps: { clientDocuments: createClientMetadataFetcher({ allowInsecureForTests: true }) },
  });
  ({ app, fixture } = target);
});
afterAll(async () => {
  await target?.stop();
  await close(documents);
});

/** A request as the proxy forwards it: AppAPI headers carrying the signed-in user (or none). */
const viaProxy = (user: string) => target.appApi(user);

function serve(name: string, document: Record<string, unknown> | string, type?: string): string {
  const clientId = `${documentBase}/${name}`;
  served.set(`/${name}`, { body: typeof document === 'string' ? document : JSON.stringify({ client_id: clientId, ...document }), type });
  return clientId;
}

async function authorize(clientId: string, challenge: string) {
  const query = new URLSearchParams({
    client_id: clientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    scope: 'files.read',
    state: 'st',
  });
  return app.inject({ method: 'GET', url: `/oauth/authorize?${query}`, headers: viaProxy('alice') });
}

describe('client ID metadata documents', () => {
  it('authorizes a ChatGPT-shaped document client and issues tokens to it as a public client', async () => {
    const clientId = serve('oauth/client.json', {
      client_name: 'ChatGPT',
      redirect_uris: [redirectUri],
      token_endpoint_auth_method: 'private_key_jwt',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    });
    const verifier = randomBytes(32).toString('base64url');
    const consent = await authorize(clientId, createHash('sha256').update(verifier).digest('base64url'));
    expect(consent.statusCode).toBe(200);
    expect(consent.body).toContain('<span id="client-name">ChatGPT</span>');
    expect(consent.body).toContain('<code id="redirect-host">chatgpt.com</code>');
    const form = new URLSearchParams({
      pending: /name="pending" value="([^"]+)"/.exec(consent.body)![1]!,
      form_token: /name="form_token" value="([^"]+)"/.exec(consent.body)![1]!,
      decision: 'approve',
      scope: 'files.read',
    });
    const approved = await app.inject({
      method: 'POST',
      url: '/oauth/authorize',
      headers: { ...viaProxy('alice'), 'content-type': 'application/x-www-form-urlencoded' },
      payload: form.toString(),
    });
    const target = new URL(/content="0;url=([^"]+)"/.exec(approved.body)![1]!.replaceAll('&amp;', '&'));
    expect(target.origin + target.pathname).toBe(redirectUri);
    const tokens = await app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: { ...viaProxy(''), 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({
        grant_type: 'authorization_code',
        code: target.searchParams.get('code')!,
        code_verifier: verifier,
        redirect_uri: redirectUri,
        client_id: clientId,
      }).toString(),
    });
    expect(tokens.statusCode).toBe(200);
    expect(tokens.json()).toMatchObject({ token_type: 'Bearer', scope: 'files.read' });
    expect(tokens.json().refresh_token).toBeTruthy();
  });

  it('shows an error page, never a redirect, for hostile or broken documents', async () => {
    const challenge = createHash('sha256').update('x'.repeat(43)).digest('base64url');
    const cases = {
      oversized: serve('big.json', { client_name: 'Big', redirect_uris: [redirectUri], padding: 'x'.repeat(10_000) }),
      foreignRedirect: serve('foreign.json', { client_name: 'Phish', redirect_uris: ['https://evil.example/cb'] }),
      mismatchedId: serve('mismatch.json', {
        client_id: 'https://chatgpt.com/oauth/client.json',
        client_name: 'Liar',
        redirect_uris: [redirectUri],
      }),
      notJson: serve('html.json', '<html>hello</html>', 'text/html'),
      missing: `${documentBase}/nothing-here.json`,
    };
    for (const [name, clientId] of Object.entries(cases)) {
      const response = await authorize(clientId, challenge);
      expect(response.statusCode, name).toBe(400);
      expect(response.body, name).not.toContain('http-equiv="refresh"');
      expect(response.body, name).toContain('id="error"');
    }
  });

  it('refuses document clients when the administrator turned them off', async () => {
    const clientId = serve('off.json', { client_name: 'Off', redirect_uris: [redirectUri] });
    fixture.sim.state.appConfig.set('mcp_gateway', new Map([['client_metadata_documents', { value: '', sensitive: false }]]));
    try {
      const query = new URLSearchParams({
        client_id: clientId,
        redirect_uri: redirectUri,
        response_type: 'code',
        code_challenge: 'a'.repeat(43),
        code_challenge_method: 'S256',
      });
      const response = await app.inject({ method: 'GET', url: `/oauth/authorize?${query}`, headers: viaProxy('alice') });
      expect(response.statusCode).toBe(400);
      expect(response.body).toContain('turned off by the administrator');
      const metadata = await app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server', headers: viaProxy('') });
      expect(metadata.json().client_id_metadata_document_supported).toBe(false);
    } finally {
      fixture.sim.state.appConfig.delete('mcp_gateway');
    }
  });
});
