// Tokens from an external OpenID provider (contract §8(c)): a real oidc-provider on a loopback port issues
// them through its own authorization-code + PKCE flow; the verifier must accept exactly those meant for us.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SignJWT, UnsecuredJWT, decodeJwt, exportJWK, generateKeyPair } from 'jose';
import type { CryptoKey, JWTPayload } from 'jose';
import type { TrustedIssuer } from '../../../src/core/trusted-issuers.js';
import { parseTrustedIssuers, trustedIssuerSchema } from '../../../src/core/trusted-issuers.js';
import type { ExternalVerdict } from '../../../src/oauth/external-idp.js';
import { createExternalVerifier } from '../../../src/oauth/external-idp.js';
import { close, listen } from '../../support/http-server.js';
import type { TestIdp } from '../../support/oidc-provider.js';
import { startTestIdp } from '../../support/oidc-provider.js';

const RESOURCE = 'https://cloud.example/index.php/apps/app_api/proxy/mcp_gateway/mcp';
/** The same app reached under HaRP's prefix; its tokens are opaque at this provider. */
const ALIAS_RESOURCE = 'https://cloud.example/exapps/mcp_gateway/mcp';
const RESOURCES = [RESOURCE, ALIAS_RESOURCE];
const OTHER_API = 'https://other.example/api';
const OTHER_OPAQUE_API = 'https://other.example/opaque-api';

let idp: TestIdp;
let untrusted: TestIdp;
/** Access tokens the provider issued, by name. */
const tokens: Record<string, string> = {};

beforeAll(async () => {
  idp = await startTestIdp({
    resources: {
      [RESOURCE]: { format: 'jwt', scope: 'files.read files.write nextcloud mail.send' },
      [ALIAS_RESOURCE]: { format: 'opaque', scope: 'files.read nextcloud' },
      [OTHER_API]: { format: 'jwt', scope: 'files.read' },
      [OTHER_OPAQUE_API]: { format: 'opaque', scope: 'files.read' },
    },
    accounts: {
      alice: { preferred_username: 'alice' },
      // The account id (the token's sub) differs from the Nextcloud user id on purpose.
      'u-2002': { preferred_username: 'bob' },
      carol: {},
      mallory: { preferred_username: 'alice/../admin' },
    },
  });
  untrusted = await startTestIdp({
    resources: { [RESOURCE]: { format: 'jwt', scope: 'files.read' } },
    accounts: { alice: { preferred_username: 'alice' } },
  });

  const jwtFor = async (account: string, scope: string, resource = RESOURCE) =>
    (await idp.login(account, { resource, scope })).access_token;
  const aliceLogin = await idp.login('alice', { resource: RESOURCE, scope: 'files.read nextcloud mail.send' });
  tokens.alice = aliceLogin.access_token;
  tokens.aliceIdToken = aliceLogin.id_token!;
  tokens.bob = await jwtFor('u-2002', 'files.read files.write');
  tokens.carol = await jwtFor('carol', 'files.read');
  tokens.mallory = await jwtFor('mallory', 'files.read');
  tokens.aliceOtherApi = await jwtFor('alice', 'files.read', OTHER_API);
  tokens.aliceOpaque = await jwtFor('alice', 'files.read nextcloud', ALIAS_RESOURCE);
  tokens.bobOpaque = await jwtFor('u-2002', 'files.read', ALIAS_RESOURCE);
  tokens.aliceOtherOpaque = await jwtFor('alice', 'files.read', OTHER_OPAQUE_API);
  tokens.untrusted = (await untrusted.login('alice', { resource: RESOURCE, scope: 'files.read' })).access_token;
});

afterAll(async () => {
  await idp?.close();
  await untrusted?.close();
});

function trusted(overrides: Partial<Record<keyof TrustedIssuer, unknown>> = {}): TrustedIssuer {
  return trustedIssuerSchema.parse({
    issuer: idp.issuer,
    userClaim: 'preferred_username',
    scopeMap: { nextcloud: ['calendar.read'] },
    ...overrides,
  });
}

function expectInvalid(verdict: ExternalVerdict, description: RegExp, token?: string): void {
  expect(verdict).toMatchObject({ ok: false, reason: 'invalid_token', description: expect.stringMatching(description) });
  if (token && !verdict.ok) expect(verdict.description).not.toContain(token);
}

describe('JWT access tokens from a trusted provider', () => {
  it("accepts alice's token for our resource, discovering the keys, and maps user, scopes and client", async () => {
    const verifier = createExternalVerifier([trusted()]);
    expect(verifier.issuers).toEqual([idp.issuer]);
    const verdict = await verifier.verify(tokens.alice!, RESOURCES);
    // files.read is ours, "nextcloud" maps to calendar.read, "mail.send" means nothing here.
    expect(verdict).toEqual({
      ok: true,
      userId: 'alice',
      scopes: ['files.read', 'calendar.read'],
      clientId: idp.clientId,
      issuer: idp.issuer,
      expiresAt: decodeJwt(tokens.alice!).exp,
    });
  });

  it('takes the user from the configured claim: bob by preferred_username, his account id by sub', async () => {
    expect(await createExternalVerifier([trusted()]).verify(tokens.bob!, RESOURCES)).toMatchObject({
      ok: true,
      userId: 'bob',
      scopes: ['files.read', 'files.write'],
    });
    expect(await createExternalVerifier([trusted({ userClaim: 'sub' })]).verify(tokens.bob!, RESOURCES)).toMatchObject({
      ok: true,
      userId: 'u-2002',
    });
  });

  it('refuses a token issued for another resource, unless the admin configured that audience', async () => {
    expectInvalid(
      await createExternalVerifier([trusted()]).verify(tokens.aliceOtherApi!, RESOURCES),
      /issued for another resource/,
      tokens.aliceOtherApi,
    );
    expect(await createExternalVerifier([trusted({ audience: OTHER_API })]).verify(tokens.aliceOtherApi!, RESOURCES)).toMatchObject({
      ok: true,
      userId: 'alice',
    });
    // A configured audience replaces the resources: our own resource is then not accepted by itself.
    expectInvalid(await createExternalVerifier([trusted({ audience: [OTHER_API] })]).verify(tokens.alice!, RESOURCES), /another resource/);
    expectInvalid(await createExternalVerifier([trusted()]).verify(tokens.alice!, []), /no audience/);
  });

  it('refuses a token signed with another key that claims the trusted issuer', async () => {
    const verifier = createExternalVerifier([trusted()]);
    const { privateKey } = await generateKeyPair('RS256');
    const claims = decodeJwt(tokens.alice!);
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: idp.kid }).sign(privateKey);
    expectInvalid(await verifier.verify(forged, RESOURCES), /signature is not valid/, forged);
    const unknownKey = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: 'someone-elses' }).sign(privateKey);
    expectInvalid(await verifier.verify(unknownKey, RESOURCES), /no signing key of .* matches/, unknownKey);
  });

  it('leaves tokens of untrusted issuers (and JWT-shaped junk) to the caller', async () => {
    const verifier = createExternalVerifier([trusted()]);
    expect(await verifier.verify(tokens.untrusted!, RESOURCES)).toMatchObject({ ok: false, reason: 'not_external' });
    expect(await verifier.verify('not.a.jwt', RESOURCES)).toMatchObject({ ok: false, reason: 'not_external' });
    expect(await verifier.verify(new UnsecuredJWT({ aud: RESOURCE }).encode(), RESOURCES)).toMatchObject({
      ok: false,
      reason: 'not_external',
    });
    // Trusting the other provider too makes its token acceptable: the verdict above was about trust, not shape.
    const both = createExternalVerifier([
      trusted(),
      trustedIssuerSchema.parse({ issuer: untrusted.issuer, userClaim: 'preferred_username' }),
    ]);
    expect(await both.verify(tokens.untrusted!, RESOURCES)).toMatchObject({ ok: true, userId: 'alice', issuer: untrusted.issuer });
  });

  it('compares the issuer byte for byte: a trailing slash is another issuer', async () => {
    const verifier = createExternalVerifier([trustedIssuerSchema.parse({ issuer: `${idp.issuer}/`, userClaim: 'preferred_username' })]);
    expect(await verifier.verify(tokens.alice!, RESOURCES)).toMatchObject({ ok: false, reason: 'not_external' });
  });

  it('refuses an expired token, allowing only the configured clock tolerance', async () => {
    const exp = decodeJwt(tokens.alice!).exp!;
    const tenSecondsLate = () => (exp + 10) * 1000;
    expect(await createExternalVerifier([trusted()], { now: tenSecondsLate }).verify(tokens.alice!, RESOURCES)).toMatchObject({ ok: true });
    expectInvalid(
      await createExternalVerifier([trusted({ clockToleranceSeconds: 0 })], { now: tenSecondsLate }).verify(tokens.alice!, RESOURCES),
      /expired/,
    );
  });

  it('refuses tokens whose user claim is missing or not a usable Nextcloud user id', async () => {
    const verifier = createExternalVerifier([trusted()]);
    expectInvalid(await verifier.verify(tokens.carol!, RESOURCES), /"preferred_username" claim does not hold a usable Nextcloud user id/);
    expectInvalid(await verifier.verify(tokens.mallory!, RESOURCES), /usable Nextcloud user id/);
    // The same token names a usable user through another claim.
    expect(await createExternalVerifier([trusted({ userClaim: 'sub' })]).verify(tokens.carol!, RESOURCES)).toMatchObject({
      ok: true,
      userId: 'carol',
    });
  });

  it("refuses the provider's ID token even where its audience would be accepted", async () => {
    const verifier = createExternalVerifier([trusted({ audience: [RESOURCE, idp.clientId] })]);
    expect(await verifier.verify(tokens.alice!, RESOURCES)).toMatchObject({ ok: true });
    expectInvalid(await verifier.verify(tokens.aliceIdToken!, RESOURCES), /ID token/);
  });

  it('refuses algorithms the admin did not allow', async () => {
    expectInvalid(
      await createExternalVerifier([trusted({ algorithms: ['ES256'] })]).verify(tokens.alice!, RESOURCES),
      /algorithm that is not allowed/,
    );
  });

  it('discovers and fetches the keys once, then serves them from its cache', async () => {
    const fetched: string[] = [];
    const counting: typeof fetch = (input, init) => {
      fetched.push(String(input));
      return fetch(input, init);
    };
    const verifier = createExternalVerifier([trusted()], { fetch: counting });
    expect(await verifier.verify(tokens.alice!, RESOURCES)).toMatchObject({ ok: true });
    expect(await verifier.verify(tokens.bob!, RESOURCES)).toMatchObject({ ok: true });
    expect(fetched).toEqual([`${idp.issuer}/.well-known/openid-configuration`, `${idp.issuer}/jwks`]);

    fetched.length = 0;
    const direct = createExternalVerifier([trusted({ jwksUri: `${idp.issuer}/jwks` })], { fetch: counting });
    expect(await direct.verify(tokens.alice!, RESOURCES)).toMatchObject({ ok: true });
    expect(fetched).toEqual([`${idp.issuer}/jwks`]);
  });

  it('refuses discovery metadata that names another issuer', async () => {
    const lying: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (!String(input).endsWith('/openid-configuration')) return response;
      return Response.json({ ...((await response.json()) as object), issuer: 'https://evil.example' });
    };
    expectInvalid(
      await createExternalVerifier([trusted()], { fetch: lying }).verify(tokens.alice!, RESOURCES),
      /names the issuer "https:\/\/evil.example"/,
    );
  });
});

describe('tokens of a provider that cannot be reached', () => {
  async function tokenClaiming(issuer: string): Promise<string> {
    const { privateKey } = await generateKeyPair('ES256');
    return new SignJWT({ preferred_username: 'alice' })
      .setProtectedHeader({ alg: 'ES256' })
      .setIssuer(issuer)
      .setAudience(RESOURCE)
      .setExpirationTime('5m')
      .sign(privateKey);
  }

  it('answers invalid_token naming the provider when the connection is refused', async () => {
    const server = http.createServer();
    const issuer = await listen(server);
    await close(server);
    const token = await tokenClaiming(issuer);
    const verdict = await createExternalVerifier([trustedIssuerSchema.parse({ issuer, userClaim: 'preferred_username' })]).verify(
      token,
      RESOURCES,
    );
    expectInvalid(verdict, new RegExp(`could not reach the identity provider ${issuer}.*ECONNREFUSED`), token);
  });

  it('gives up after the timeout', async () => {
    const received: string[] = [];
    const server = http.createServer((request) => {
      received.push(`${request.method} ${request.url}`);
      /* never answers */
    });
    const issuer = await listen(server);
    // The deadline of every request, by the signal the request carries: which timeout bounds it, not how long it took.
    const timeouts = new Map<AbortSignal, number>();
    const timeout = AbortSignal.timeout.bind(AbortSignal);
    const deadlines = vi.spyOn(AbortSignal, 'timeout').mockImplementation((ms) => {
      const signal = timeout(ms);
      timeouts.set(signal, ms);
      return signal;
    });
    const sent: Array<{ url: string; timeoutMs: number | undefined }> = [];
    try {
      const token = await tokenClaiming(issuer);
      const verdict = await createExternalVerifier(
        [trustedIssuerSchema.parse({ issuer, userClaim: 'preferred_username', jwksUri: `${issuer}/jwks` })],
        {
          timeoutMs: 300,
          fetch: (input, init) => {
            sent.push({ url: String(input), timeoutMs: init?.signal ? timeouts.get(init.signal) : undefined });
            return fetch(input, init);
          },
        },
      ).verify(token, RESOURCES);
      expectInvalid(verdict, /could not reach the identity provider .*no answer within the timeout/, token);
      // One request, bounded by the configured 300 ms (not jose's 5 s default), and nothing sent after it timed out.
      expect(sent).toEqual([{ url: `${issuer}/jwks`, timeoutMs: 300 }]);
      await vi.waitFor(() => expect(received).toEqual(['GET /jwks']), { timeout: 20_000 });
    } finally {
      deadlines.mockRestore();
      await close(server);
    }
  });

  it('stops reading a discovery document that is too large', async () => {
    let sent = 0;
    const server = http.createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('{"issuer":"');
      // An endless answer: the reader must give up, not wait for the end.
      const chunk = 'x'.repeat(64 * 1024);
      const pump = () => {
        while (sent < 10 * 1024 * 1024 && response.write(chunk)) sent += chunk.length;
        if (sent < 10 * 1024 * 1024) response.once('drain', pump);
      };
      pump();
      response.on('close', () => undefined);
    });
    const issuer = await listen(server);
    try {
      const token = await tokenClaiming(issuer);
      const verdict = await createExternalVerifier([trustedIssuerSchema.parse({ issuer, userClaim: 'preferred_username' })], {
        timeoutMs: 5000,
      }).verify(token, RESOURCES);
      expectInvalid(verdict, /answered more than 262144 bytes/, token);
      expect(sent).toBeLessThan(10 * 1024 * 1024);
    } finally {
      await close(server);
    }
  });
});

describe("token shapes other providers produce (own key, served as the provider's JWKS)", () => {
  const ISSUER = 'https://sso.example.com/realms/staff';
  let key: CryptoKey;
  let keyFetch: typeof fetch;

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    key = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    keyFetch = async (input) =>
      String(input) === `${ISSUER}/keys` ? Response.json({ keys: [jwk] }) : new Response('not found', { status: 404 });
  });

  async function sign(claims: JWTPayload, typ?: string): Promise<string> {
    return new SignJWT({ iss: ISSUER, aud: RESOURCE, exp: Math.floor(Date.now() / 1000) + 300, preferred_username: 'alice', ...claims })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1', ...(typ ? { typ } : {}) })
      .sign(key);
  }

  const verify = async (token: string, overrides: Record<string, unknown> = {}) =>
    createExternalVerifier(
      [trustedIssuerSchema.parse({ issuer: ISSUER, userClaim: 'preferred_username', jwksUri: `${ISSUER}/keys`, ...overrides })],
      { fetch: keyFetch },
    ).verify(token, RESOURCES);

  it('accepts typ at+jwt, application/at+jwt, JWT or none; refuses other types', async () => {
    for (const typ of ['at+jwt', 'application/at+jwt', 'JWT', undefined])
      expect(await verify(await sign({}, typ))).toMatchObject({ ok: true, userId: 'alice' });
    for (const typ of ['id_token+jwt', 'logout+jwt', 'token-introspection+jwt'])
      expectInvalid(await verify(await sign({}, typ)), /"typ" header/);
  });

  it('refuses ID tokens and Keycloak ID/refresh tokens by their claims', async () => {
    expectInvalid(await verify(await sign({ nonce: 'n' })), /ID token/);
    expectInvalid(await verify(await sign({ at_hash: 'x' })), /ID token/);
    expectInvalid(await verify(await sign({ typ: 'ID' })), /not an access token/);
    expectInvalid(await verify(await sign({ typ: 'Refresh' })), /not an access token/);
    expect(await verify(await sign({ typ: 'Bearer' }))).toMatchObject({ ok: true });
  });

  it('requires exp and honours nbf', async () => {
    const noExp = await new SignJWT({ iss: ISSUER, aud: RESOURCE, preferred_username: 'alice' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .sign(key);
    expectInvalid(await verify(noExp), /no expiry/);
    expectInvalid(await verify(await sign({ nbf: Math.floor(Date.now() / 1000) + 120 })), /not valid yet/);
  });

  it('reads scopes as a string or a list, takes the client from azp, and rejects path-like user ids', async () => {
    expect(
      await verify(await sign({ scope: ['files.read', 'staff', 'talk.write'], azp: 'claude' }), {
        scopeMap: { staff: ['calendar.read', 'files.read'] },
      }),
    ).toMatchObject({
      ok: true,
      scopes: ['files.read', 'calendar.read', 'talk.write'],
      clientId: 'claude',
    });
    expect(await verify(await sign({ roles: 'talk.read constructor' }), { scopeClaim: 'roles' })).toMatchObject({
      ok: true,
      scopes: ['talk.read'],
      clientId: null,
    });
    for (const userId of ['', '..', 'a:b', 'a\\b', 'a\nb', 42])
      expectInvalid(await verify(await sign({ preferred_username: userId })), /usable Nextcloud user id/);
  });
});

describe('opaque tokens checked by introspection', () => {
  const withIntrospection = (overrides: Partial<Record<'endpoint' | 'clientId' | 'clientSecret', string>> = {}) =>
    trusted({ introspection: { ...idp.introspectionClient, ...overrides } });

  it('accepts an active token for one of our resources and maps its claims', async () => {
    const verdict = await createExternalVerifier([withIntrospection()]).verify(tokens.aliceOpaque!, RESOURCES);
    expect(verdict).toMatchObject({
      ok: true,
      userId: 'alice',
      scopes: ['files.read', 'calendar.read'],
      clientId: idp.clientId,
      issuer: idp.issuer,
    });
    expect(verdict.ok && verdict.expiresAt).toBeGreaterThan(Date.now() / 1000);
  });

  it('refuses a revoked token and one the provider never issued', async () => {
    const verifier = createExternalVerifier([withIntrospection()]);
    expect(await verifier.verify(tokens.bobOpaque!, RESOURCES)).toMatchObject({ ok: true, userId: 'bob' });
    await idp.revoke(tokens.bobOpaque!);
    expectInvalid(await verifier.verify(tokens.bobOpaque!, RESOURCES), /not .*active/, tokens.bobOpaque);
    expectInvalid(await verifier.verify('made-up-token-value', RESOURCES), /not .*active/);
  });

  it('refuses an active token issued for another resource', async () => {
    expectInvalid(await createExternalVerifier([withIntrospection()]).verify(tokens.aliceOtherOpaque!, RESOURCES), /another resource/);
  });

  it('refuses active tokens past their exp by our clock', async () => {
    const late = () => Date.now() + 3600_000;
    expectInvalid(await createExternalVerifier([withIntrospection()], { now: late }).verify(tokens.aliceOpaque!, RESOURCES), /expired/);
  });

  it('reports a refused client authentication without echoing the secret or the token', async () => {
    const secret = 'wrong-secret-0123456789';
    const verdict = await createExternalVerifier([withIntrospection({ clientSecret: secret })]).verify(tokens.aliceOpaque!, RESOURCES);
    expectInvalid(verdict, /could not reach the identity provider .*HTTP 401/, tokens.aliceOpaque);
    expect(verdict.ok || verdict.description).not.toContain(secret);
  });

  it('leaves opaque tokens to the caller when no issuer introspects', async () => {
    expect(await createExternalVerifier([trusted()]).verify(tokens.aliceOpaque!, RESOURCES)).toMatchObject({
      ok: false,
      reason: 'not_external',
    });
  });

  it('refuses an active answer without aud, and one naming another issuer', async () => {
    const answering =
      (answer: Record<string, unknown>): typeof fetch =>
      async () =>
        Response.json({ active: true, preferred_username: 'alice', exp: Math.floor(Date.now() / 1000) + 60, ...answer });
    const config = [withIntrospection({ endpoint: 'https://sso.example.com/introspect' })];
    expect(await createExternalVerifier(config, { fetch: answering({ aud: RESOURCE }) }).verify('opaque', RESOURCES)).toMatchObject({
      ok: true,
      userId: 'alice',
    });
    expectInvalid(
      await createExternalVerifier(config, { fetch: answering({}) }).verify('opaque', RESOURCES),
      /does not say which resource/,
    );
    expectInvalid(
      await createExternalVerifier(config, { fetch: answering({ aud: RESOURCE, iss: 'https://evil.example' }) }).verify(
        'opaque',
        RESOURCES,
      ),
      /another issuer/,
    );
    expectInvalid(
      await createExternalVerifier(config, { fetch: answering({ aud: RESOURCE, token_type: 'DPoP' }) }).verify('opaque', RESOURCES),
      /not a bearer/,
    );
  });

  it('sends the token form-encoded with client_secret_basic and no redirects', async () => {
    const seen: { url: string; init: RequestInit | undefined }[] = [];
    const recording: typeof fetch = async (input, init) => {
      seen.push({ url: String(input), init });
      return Response.json({ active: false });
    };
    const verifier = createExternalVerifier(
      [withIntrospection({ endpoint: 'https://sso.example.com/introspect', clientId: 'gw id', clientSecret: 's:cret' })],
      { fetch: recording },
    );
    await verifier.verify('tok', RESOURCES);
    // A token with dots that does not decode as a JWT is opaque too.
    await verifier.verify('v1.abc.def', RESOURCES);
    expect(seen.map(({ url }) => url)).toEqual(['https://sso.example.com/introspect', 'https://sso.example.com/introspect']);
    expect(seen[0]?.init).toMatchObject({ method: 'POST', redirect: 'manual' });
    expect(seen.map(({ init }) => String(init?.body))).toEqual([
      'token=tok&token_type_hint=access_token',
      'token=v1.abc.def&token_type_hint=access_token',
    ]);
    const authorization = new Headers(seen[0]?.init?.headers).get('authorization');
    expect(Buffer.from(authorization!.replace(/^Basic /, ''), 'base64').toString()).toBe('gw+id:s%3Acret');
  });
});

describe('parseTrustedIssuers', () => {
  const problem = (json: string) => {
    try {
      parseTrustedIssuers(json);
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error('expected the configuration to be refused');
  };

  it('reads nothing from an empty value and applies the defaults', () => {
    expect(parseTrustedIssuers('')).toEqual([]);
    expect(parseTrustedIssuers('  ')).toEqual([]);
    expect(
      parseTrustedIssuers(
        '[{"issuer": "https://sso.example.com/realms/staff", "userClaim": "sub", "scopeMap": {"nextcloud": ["files.read"]}}]',
      ),
    ).toEqual([
      {
        issuer: 'https://sso.example.com/realms/staff',
        userClaim: 'sub',
        scopeClaim: 'scope',
        scopeMap: { nextcloud: ['files.read'] },
        algorithms: ['RS256', 'ES256', 'PS256', 'EdDSA'],
        clockToleranceSeconds: 30,
      },
    ]);
  });

  it('allows plain http only on loopback hosts', () => {
    for (const issuer of ['http://127.0.0.1:8080', 'http://localhost:9000/realms/dev', 'http://[::1]:8080'])
      expect(parseTrustedIssuers(JSON.stringify([{ issuer, userClaim: 'sub' }]))).toHaveLength(1);
    expect(problem('[{"issuer": "http://sso.example.com", "userClaim": "sub"}]')).toBe(
      'has invalid entries: entry 1 ("http://sso.example.com"): field "issuer" must be an https URL (http only for 127.0.0.1, localhost or ::1), without query or fragment',
    );
  });

  it('names the entry and the field of each mistake', () => {
    expect(problem('not json')).toMatch(/^is not valid JSON/);
    expect(problem('{"issuer": "https://sso.example.com"}')).toMatch(/^must be a JSON array of issuer objects/);
    expect(problem('[{}]')).toMatch(/entry 1: field "issuer" is required/);
    expect(problem('["https://sso.example.com"]')).toMatch(/entry 1: must be an object/);
    const message = problem(
      '[{"issuer": "https://a.example", "userClaim": "sub"}, {"issuer": "https://b.example", "userclaim": "uid", "scopeMap": {"staff": ["files.read", "files.delete"]}, "algorithms": ["HS256"], "clockToleranceSeconds": -5}]',
    );
    expect(message).not.toMatch(/entry 1/);
    expect(message).toContain('entry 2 ("https://b.example"): has unknown field "userclaim"');
    expect(message).toContain('field "scopeMap.staff.1" must be one of files.read, files.write');
    expect(message).toContain('field "algorithms.0" must list only RS256');
    expect(message).toContain('field "clockToleranceSeconds" must not be negative');
    expect(problem('[{"issuer": "https://a.example", "userClaim": "sub"}, {"issuer": "https://a.example", "userClaim": "sub"}]')).toMatch(
      /entry 2 \("https:\/\/a.example"\): the issuer is listed twice/,
    );
  });

  it('makes the admin name the claim that holds the user id, warning about one users can edit', () => {
    const message = problem('[{"issuer": "https://a.example", "scopeMap": {"nextcloud": ["files.read"]}}]');
    expect(message).toContain('entry 1 ("https://a.example"): field "userClaim" is required');
    expect(message).toContain('"preferred_username" is editable by users in many providers');
    expect(problem('[{"issuer": "https://a.example", "userClaim": ""}]')).toContain('field "userClaim" is required');
  });

  it('checks the introspection settings without repeating the secret', () => {
    const message = problem(
      '[{"issuer": "https://a.example", "introspection": {"endpoint": "http://a.example/introspect", "clientId": "gw", "clientSecret": "TOP-SECRET-VALUE"}}]',
    );
    expect(message).toContain('field "introspection.endpoint" must be an https URL');
    expect(message).not.toContain('TOP-SECRET-VALUE');
    expect(
      problem('[{"issuer": "https://a.example", "introspection": {"endpoint": "https://a.example/introspect", "clientId": "gw"}}]'),
    ).toContain('field "introspection.clientSecret" must be');
  });
});
