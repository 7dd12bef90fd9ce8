// The admin's client rules hold for clients that exist, errors go only to trusted redirect URIs, a refresh retried
// within the grace gets the same successor, and registration stores little and cannot be flooded from one address.
// Driven in process with fastify's inject against the simulated Nextcloud; the policy is read fresh on every request.
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClientMetadataFetcher } from '../../../src/oauth/client-metadata-document.js';
import type { Db } from '../../../src/store/database.js';
import { close, listen } from '../../support/http-server.js';
import type { InProcessApp } from '../../support/in-process-app.js';
import { startInProcessApp } from '../../support/in-process-app.js';
import type { LibFixture } from '../../support/lib-fixture.js';

const LOOPBACK = 'http://127.0.0.1:4999/callback';
const CLAUDE = 'https://claude.ai/api/mcp/auth_callback';

let target: InProcessApp;
let fixture: LibFixture;
let app: FastifyInstance;
let db: Db;
let documents: http.Server;
let documentBase: string;
const served = new Map<string, string>();

beforeAll(async () => {
  documents = http.createServer((request, response) => {
    const body = served.get(request.url ?? '');
    if (!body) return void response.writeHead(404).end();
    response.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  documentBase = await listen(documents);
  target = await startInProcessApp({
    env: { MCP_GATEWAY_POLICY_TTL_SECONDS: '0' },
    deps: { clientDocuments: createClientMetadataFetcher({ allowInsecureForTests: true }) },
  });
  ({ app, fixture, db } = target);
});
afterAll(async () => {
  await target?.stop();
  await close(documents);
});
afterEach(() => {
  fixture.sim.state.appConfig.delete('mcp_gateway');
});

function setPolicy(values: Record<string, string>): void {
  fixture.sim.state.appConfig.set('mcp_gateway', new Map(Object.entries(values).map(([key, value]) => [key, { value, sensitive: false }])));
}

/** A request as the proxy forwards it: AppAPI headers carrying the signed-in user ('' for nobody). */
function viaProxy(user: string, source = '198.51.100.7') {
  return { ...target.appApi(user), 'x-origin-ip': source };
}

const decode = (value: string) => value.replaceAll('&amp;', '&');
/** Where the page sends the browser by itself, or null when it stays. */
const automaticTarget = (page: string) => {
  const match = /http-equiv="refresh" content="0;url=([^"]+)"/.exec(page);
  return match ? new URL(decode(match[1]!)) : null;
};
/** The link an error page offers the person to follow, or null. */
const offeredLink = (page: string) => {
  const match = /<a id="return" href="([^"]+)"/.exec(page);
  return match ? new URL(decode(match[1]!)) : null;
};

async function register(metadata: Record<string, unknown>, source?: string) {
  return app.inject({
    method: 'POST',
    url: '/oauth/register',
    headers: { ...viaProxy('', source), 'content-type': 'application/json' },
    payload: JSON.stringify({
      client_name: 'Policy test client',
      grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: 'none',
      ...metadata,
    }),
  });
}

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

async function authorize(params: Record<string, string>, user: string, source?: string) {
  const query = new URLSearchParams({
    response_type: 'code',
    code_challenge_method: 'S256',
    scope: 'files.read',
    state: 'st-1',
    ...params,
  });
  return app.inject({ method: 'GET', url: `/oauth/authorize?${query}`, headers: viaProxy(user, source) });
}

/** Authorizes and consents: the code the client receives. */
async function consentedCode(clientId: string, redirectUri: string, user = 'alice') {
  const { verifier, challenge } = pkce();
  const consent = await authorize({ client_id: clientId, redirect_uri: redirectUri, code_challenge: challenge }, user);
  expect(consent.body).toContain('id="approve"');
  const form = new URLSearchParams({
    pending: /name="pending" value="([^"]+)"/.exec(consent.body)![1]!,
    form_token: /name="form_token" value="([^"]+)"/.exec(consent.body)![1]!,
    decision: 'approve',
    scope: 'files.read',
  });
  const approved = await app.inject({
    method: 'POST',
    url: '/oauth/authorize',
    headers: { ...viaProxy(user), 'content-type': 'application/x-www-form-urlencoded' },
    payload: form.toString(),
  });
  const target = automaticTarget(approved.body)!;
  return { code: target.searchParams.get('code')!, verifier };
}

async function token(params: Record<string, string>) {
  const response = await app.inject({
    method: 'POST',
    url: '/oauth/token',
    headers: { ...viaProxy(''), 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(params).toString(),
  });
  return { status: response.statusCode, body: response.json() as Record<string, string> };
}

async function connect(clientId: string, redirectUri: string) {
  const { code, verifier } = await consentedCode(clientId, redirectUri);
  const tokens = await token({
    grant_type: 'authorization_code',
    code,
    code_verifier: verifier,
    redirect_uri: redirectUri,
    client_id: clientId,
  });
  expect(tokens.status).toBe(200);
  return tokens.body;
}

async function mcp(accessToken: string) {
  return app.inject({
    method: 'POST',
    url: '/mcp',
    headers: {
      ...viaProxy(''),
      authorization: `Bearer ${accessToken}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    },
    payload: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'policy-test', version: '1' } },
    }),
  });
}

function serveDocument(name: string, redirectUris: string[]): string {
  const clientId = `${documentBase}/${name}`;
  served.set(
    `/${name}`,
    JSON.stringify({
      client_id: clientId,
      client_name: 'Document client',
      redirect_uris: redirectUris,
      grant_types: ['authorization_code', 'refresh_token'],
    }),
  );
  return clientId;
}

describe('a narrowed policy applies to clients that exist', () => {
  it('refuses codes, refreshes and tokens given through a redirect URI the admin no longer allows, and restores them when allowed again', async () => {
    const clientId = (await register({ redirect_uris: [LOOPBACK] })).json().client_id as string;
    const tokens = await connect(clientId, LOOPBACK);
    expect((await mcp(tokens.access_token!)).statusCode).toBe(200);

    setPolicy({ redirect_uris: CLAUDE });
    // Consent is remembered, yet no code goes to a URI the rules in force forbid.
    const again = await authorize({ client_id: clientId, redirect_uri: LOOPBACK, code_challenge: pkce().challenge }, 'alice');
    expect(again.statusCode).toBe(400);
    expect(automaticTarget(again.body)).toBeNull();
    expect(again.body).not.toContain('code=');
    const refused = await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_id: clientId });
    expect(refused).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(refused.body.error_description).toContain('loopback');
    const resource = await mcp(tokens.access_token!);
    expect(resource.statusCode).toBe(401);
    expect(resource.headers['www-authenticate']).toContain('error="invalid_token"');

    // Nothing was revoked or spent: the admin's change is reversible.
    fixture.sim.state.appConfig.delete('mcp_gateway');
    const refreshed = await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_id: clientId });
    expect(refreshed.status).toBe(200);
    expect((await mcp(refreshed.body.access_token!)).statusCode).toBe(200);
  });

  it('refuses a code whose redirect URI was forbidden between consent and the exchange', async () => {
    const clientId = (await register({ redirect_uris: [LOOPBACK] })).json().client_id as string;
    const { code, verifier } = await consentedCode(clientId, LOOPBACK);
    setPolicy({ redirect_uris: CLAUDE });
    const exchanged = await token({
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      redirect_uri: LOOPBACK,
      client_id: clientId,
    });
    expect(exchanged).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('refuses document clients seen before once metadata documents are turned off, at token and resource', async () => {
    const clientId = serveDocument('earlier.json', [LOOPBACK]);
    const tokens = await connect(clientId, LOOPBACK);
    expect((await mcp(tokens.access_token!)).statusCode).toBe(200);
    setPolicy({ client_metadata_documents: '0' });
    expect(await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_id: clientId })).toMatchObject({
      status: 401,
      body: { error: 'invalid_client' },
    });
    expect((await mcp(tokens.access_token!)).statusCode).toBe(401);
    fixture.sim.state.appConfig.delete('mcp_gateway');
    expect((await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_id: clientId })).status).toBe(200);
  });

  it('refuses clients that registered themselves once dynamic registration is turned off', async () => {
    const clientId = (await register({ redirect_uris: [LOOPBACK] })).json().client_id as string;
    const tokens = await connect(clientId, LOOPBACK);
    setPolicy({ dynamic_registration: '0' });
    expect(await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_id: clientId })).toMatchObject({
      status: 401,
      body: { error: 'invalid_client' },
    });
    expect((await mcp(tokens.access_token!)).statusCode).toBe(401);
    const page = await authorize({ client_id: clientId, redirect_uri: LOOPBACK, code_challenge: pkce().challenge }, 'alice');
    expect(page.statusCode).toBe(400);
    expect(page.body).toContain('turned off by the administrator');
    // Revoking stays possible.
    const revoke = await app.inject({
      method: 'POST',
      url: '/oauth/revoke',
      headers: { ...viaProxy(''), 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ token: tokens.refresh_token!, client_id: clientId }).toString(),
    });
    expect(revoke.statusCode).toBe(200);
  });
});

describe('redirect URIs on hosted clients', () => {
  it('accepts only the exact callbacks of ChatGPT and Claude by default, and any admin-listed prefix', async () => {
    expect((await register({ redirect_uris: ['https://claude.ai/any/path?next=https://evil.example'] })).json().error).toBe(
      'invalid_redirect_uri',
    );
    expect((await register({ redirect_uris: ['https://chatgpt.com/connector/oauth/../../logout'] })).json().error).toBe(
      'invalid_redirect_uri',
    );
    for (const uri of [CLAUDE, 'https://chatgpt.com/connector/oauth/cb_123', 'https://chatgpt.com/connector_platform_oauth_redirect']) {
      expect((await register({ redirect_uris: [uri] })).statusCode, uri).toBe(201);
    }
    setPolicy({ redirect_uris: 'https://apps.example.com/oauth/*' });
    expect((await register({ redirect_uris: ['https://apps.example.com/oauth/return'] })).statusCode).toBe(201);
    expect((await register({ redirect_uris: [CLAUDE] })).json().error).toBe('invalid_redirect_uri');
  });
});

describe('error redirects', () => {
  const invalid = (clientId: string, redirectUri: string) => ({
    client_id: clientId,
    redirect_uri: redirectUri,
    code_challenge: pkce().challenge,
    code_challenge_method: 'plain',
  });

  it('shows the error page with a link to follow, instead of redirecting, to a redirect URI nobody vouched for', async () => {
    // Registered a moment ago by anyone: a loopback port.
    const clientId = (await register({ redirect_uris: [LOOPBACK] })).json().client_id as string;
    for (const user of ['', 'alice']) {
      const page = await authorize(invalid(clientId, LOOPBACK), user);
      expect(page.statusCode, user).toBe(400);
      expect(automaticTarget(page.body), user).toBeNull();
      const link = offeredLink(page.body)!;
      expect(link.origin + link.pathname).toBe(LOOPBACK);
      expect(link.searchParams.get('error')).toBe('invalid_request');
      expect(link.searchParams.get('state')).toBe('st-1');
      expect(link.searchParams.get('iss')).toBeTruthy();
    }
  });

  it('redirects errors at once to an exact URI the admin lists, and to one the person consented to before', async () => {
    const claude = (await register({ redirect_uris: [CLAUDE] })).json().client_id as string;
    const listed = automaticTarget((await authorize(invalid(claude, CLAUDE), '')).body);
    expect(listed?.searchParams.get('error')).toBe('invalid_request');

    const clientId = (await register({ redirect_uris: [LOOPBACK] })).json().client_id as string;
    await connect(clientId, LOOPBACK);
    const consented = automaticTarget((await authorize(invalid(clientId, LOOPBACK), 'alice')).body);
    expect(consented?.searchParams.get('error')).toBe('invalid_request');
    // Bob never consented to this client: he is asked first.
    expect(automaticTarget((await authorize(invalid(clientId, LOOPBACK), 'bob')).body)).toBeNull();
  });
});

describe('refresh retried within the grace window', () => {
  it('gives every retry the same successor, so reuse detection still catches the old token later', async () => {
    const clientId = (await register({ redirect_uris: [LOOPBACK] })).json().client_id as string;
    const tokens = await connect(clientId, LOOPBACK);
    const refresh = { grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_id: clientId };
    const answers = [await token(refresh), await token(refresh), await token(refresh)];
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200]);
    expect(new Set(answers.map((answer) => answer.body.refresh_token)).size).toBe(1);
    const successor = answers[0]!.body.refresh_token!;
    expect((await token({ ...refresh, refresh_token: successor })).status).toBe(200);
    // The chain moved on: the first token coming back now is reuse, and the whole grant goes.
    expect((await token(refresh)).body.error).toBe('invalid_grant');
    expect((await mcp(answers[0]!.body.access_token!)).statusCode).toBe(401);
  });
});

describe('registration limits', () => {
  it('stores only the fields the server uses, and caps their length', async () => {
    const unknown = Object.fromEntries(Array.from({ length: 20 }, (_, index) => [`x_field_${index}`, 'y'.repeat(700)]));
    const registered = await register({ redirect_uris: [LOOPBACK], logo_uri: 'https://evil.example/logo.png', ...unknown });
    expect(registered.statusCode).toBe(201);
    const body = registered.json() as Record<string, unknown>;
    expect(Object.keys(body).filter((key) => key.startsWith('x_field_') || key === 'logo_uri')).toEqual([]);
    const row = db.prepare('SELECT * FROM oauth_clients WHERE client_id = ?').get(body.client_id) as Record<string, unknown>;
    expect(JSON.stringify(row).length).toBeLessThan(600);
    expect((await register({ redirect_uris: [`${LOOPBACK}?${'a'.repeat(1200)}`] })).json().error).toBe('invalid_redirect_uri');
    expect((await register({ redirect_uris: [LOOPBACK], client_name: 'n'.repeat(300) })).json().error).toBe('invalid_client_metadata');
  });

  it('limits registrations per source address without affecting other sources', async () => {
    const source = '203.0.113.50';
    const statuses: number[] = [];
    for (let index = 0; index < 70; index++) statuses.push((await register({ redirect_uris: [LOOPBACK] }, source)).statusCode);
    expect(statuses.slice(0, 60).every((status) => status === 201)).toBe(true);
    expect(statuses.slice(60).every((status) => status === 429)).toBe(true);
    const limited = await register({ redirect_uris: [LOOPBACK] }, source);
    expect(limited.json().error).toBe('temporarily_unavailable');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await register({ redirect_uris: [LOOPBACK] }, '203.0.113.51')).statusCode).toBe(201);
  });

  it('counts a metadata document seen for the first time like a registration, and keeps no more unclaimed clients than the cap', async () => {
    const source = '203.0.113.60';
    const statuses: number[] = [];
    for (let index = 0; index < 62; index++) {
      const clientId = serveDocument(`flood-${index}.json`, [LOOPBACK]);
      statuses.push(
        (await authorize({ client_id: clientId, redirect_uri: LOOPBACK, code_challenge: pkce().challenge }, '', source)).statusCode,
      );
    }
    // Anonymous: each one is sent to Nextcloud's login (200), until the address has used its budget.
    expect(statuses.slice(0, 60).every((status) => status === 200)).toBe(true);
    expect(statuses.slice(60)).toEqual([429, 429]);
    // A document already known costs nothing.
    expect(
      (await authorize({ client_id: `${documentBase}/flood-0.json`, redirect_uri: LOOPBACK, code_challenge: pkce().challenge }, '', source))
        .statusCode,
    ).toBe(200);
  });
});

describe('when Nextcloud cannot confirm the account', () => {
  it('pauses authorization on a page, keeps the consent page answerable, and refreshes later with the same token', async () => {
    const clientId = (await register({ redirect_uris: [LOOPBACK] })).json().client_id as string;
    const tokens = await connect(clientId, LOOPBACK);
    const { challenge } = pkce();
    const consent = await authorize({ client_id: clientId, redirect_uri: LOOPBACK, code_challenge: challenge, prompt: 'consent' }, 'alice');
    const form = new URLSearchParams({
      pending: /name="pending" value="([^"]+)"/.exec(consent.body)![1]!,
      form_token: /name="form_token" value="([^"]+)"/.exec(consent.body)![1]!,
      decision: 'approve',
      scope: 'files.read',
    }).toString();
    const submit = () =>
      app.inject({
        method: 'POST',
        url: '/oauth/authorize',
        headers: { ...viaProxy('alice'), 'content-type': 'application/x-www-form-urlencoded' },
        payload: form,
      });
    fixture.sim.setUserBackendDown('alice', true);
    try {
      const paused = await authorize({ client_id: clientId, redirect_uri: LOOPBACK, code_challenge: challenge }, 'alice');
      expect(paused.statusCode).toBe(503);
      expect(paused.headers['content-type']).toContain('text/html');
      expect(automaticTarget(paused.body)).toBeNull();
      expect(paused.body).not.toContain('access_denied');
      const notYet = await submit();
      expect(notYet.statusCode).toBe(503);
      expect(automaticTarget(notYet.body)).toBeNull();
      const refresh = await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_id: clientId });
      expect(refresh).toMatchObject({ status: 503, body: { error: 'temporarily_unavailable' } });
    } finally {
      fixture.sim.setUserBackendDown('alice', false);
    }
    const answered = automaticTarget((await submit()).body)!;
    expect(answered.searchParams.get('code')).toBeTruthy();
    expect((await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_id: clientId })).status).toBe(200);
  });
});
