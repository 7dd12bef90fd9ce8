// The access token check on every MCP request. A token's signature is verified once and the token kept until it
// expires, while everything that can change behind a token that is still valid applies on the very next request:
// revocation, the admin's client rules, the scope ceiling, the account check, and the token's own expiry.
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { exportJWK, generateKeyPair } from 'jose';
import type { CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { McpIdentity } from '../../../src/oauth/bearer.js';
import { authenticateMcpRequest, verifiedAccessTokens } from '../../../src/oauth/bearer.js';
import type { OAuthContext } from '../../../src/oauth/context.js';
import { createOAuthContext } from '../../../src/oauth/context.js';
import type { SigningKeys } from '../../../src/oauth/tokens.js';
import { VerifiedAccessTokens, signAccessToken } from '../../../src/oauth/tokens.js';
import type { Policy } from '../../../src/policy/policy.js';
import { DEFAULT_POLICY } from '../../../src/policy/policy.js';
import { parseRedirectRule } from '../../../src/policy/redirect-uris.js';
import type { RedirectRule } from '../../../src/policy/redirect-uris.js';
import { sqliteOAuthStore } from '../../../src/store/sqlite-oauth-store.js';
import type { InProcessApp } from '../../support/in-process-app.js';
import { startInProcessApp } from '../../support/in-process-app.js';
import { injectToken } from '../../support/inject-oauth.js';

const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as { gid: string; exp: number };

describe('verified tokens are kept until they expire', () => {
  const issuer = 'https://cloud.example.com/index.php/apps/app_api/proxy/mcp_gateway';
  const expected = { issuers: [issuer], audiences: [`${issuer}/mcp`] };
  let keys: SigningKeys;
  let otherKeys: SigningKeys;

  const newKeys = async (): Promise<SigningKeys> => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    return { kid: 'k', privateKey: privateKey as CryptoKey, publicKey: publicKey as CryptoKey, publicJwk: await exportJWK(publicKey) };
  };
  const sign = (signing: SigningKeys, resource = `${issuer}/mcp`, ttlSeconds = 900) =>
    signAccessToken(signing, issuer, { userId: 'alice', clientId: 'c1', grantId: 'g1', scopes: ['files.read'], resource }, ttlSeconds);

  beforeAll(async () => {
    keys = await newKeys();
    otherKeys = await newKeys();
  });

  it('verifies a token once and answers its next checks from memory', async () => {
    const tokens = new VerifiedAccessTokens(keys);
    const token = await sign(keys);
    const first = await tokens.verify(token, expected);
    expect(first).toMatchObject({ ok: true, claims: { userId: 'alice', clientId: 'c1', grantId: 'g1', scopes: ['files.read'] } });
    expect(tokens.size).toBe(1);
    const second = await tokens.verify(token, expected);
    // The very claims kept at the first check (frozen, as every request holding the token shares them).
    expect(second.ok && first.ok && second.claims === first.claims).toBe(true);
    expect(Object.isFrozen(first.ok && first.claims.scopes)).toBe(true);
    expect(tokens.size).toBe(1);
  });

  it('refuses a kept token from the second its exp names, as jose would', async () => {
    let now = Date.now();
    const tokens = new VerifiedAccessTokens(keys, { now: () => now });
    const token = await sign(keys, undefined, 60);
    const { exp } = claimsOf(token);
    expect((await tokens.verify(token, expected)).ok).toBe(true);
    now = exp * 1000 - 1;
    expect((await tokens.verify(token, expected)).ok).toBe(true);
    now = exp * 1000;
    expect(await tokens.verify(token, expected)).toEqual({ ok: false, description: 'the access token has expired' });
    expect(tokens.size).toBe(0);
    // Checked afresh, it is refused for the same reason.
    expect(await tokens.verify(token, expected)).toEqual({ ok: false, description: 'the access token has expired' });
  });

  it('does not take a token kept for one resource as valid for another', async () => {
    const tokens = new VerifiedAccessTokens(keys);
    const token = await sign(keys);
    expect((await tokens.verify(token, expected)).ok).toBe(true);
    expect(await tokens.verify(token, { ...expected, audiences: [`${issuer}/sse`] })).toEqual({
      ok: false,
      description: 'the access token was issued for another resource',
    });
    expect(await tokens.verify(token, { ...expected, issuers: ['https://elsewhere.example.com'] })).toEqual({
      ok: false,
      description: 'the access token was issued by another server',
    });
  });

  it('keeps no refusal', async () => {
    const tokens = new VerifiedAccessTokens(keys);
    const forged = await sign(otherKeys);
    expect(await tokens.verify(forged, expected)).toEqual({ ok: false, description: 'the access token signature is not valid' });
    expect(await tokens.verify(`${(await sign(keys)).slice(0, -4)}AAAA`, expected)).toMatchObject({ ok: false });
    expect(tokens.size).toBe(0);
  });

  it('keeps at most `max` tokens, dropping the least recently used', async () => {
    const tokens = new VerifiedAccessTokens(keys, { max: 3 });
    const issued = await Promise.all([1, 2, 3, 4].map(() => sign(keys)));
    const kept = async (token: string) => {
      const before = tokens.size;
      const check = await tokens.verify(token, expected);
      return check.ok && tokens.size === before;
    };
    for (const token of issued.slice(0, 3)) await tokens.verify(token, expected);
    // The first is used again, so the second is now the least recently used.
    expect(await kept(issued[0]!)).toBe(true);
    await tokens.verify(issued[3]!, expected);
    expect(tokens.size).toBe(3);
    expect(await kept(issued[0]!)).toBe(true);
    expect(await kept(issued[3]!)).toBe(true);
    expect(await kept(issued[2]!)).toBe(true);
    // The second had gone: checking it again adds it back (and drops another).
    const size = tokens.size;
    expect((await tokens.verify(issued[1]!, expected)).ok).toBe(true);
    expect(tokens.size).toBe(size);
  });
});

describe('what applies on the very next request to a token already verified', () => {
  let target: InProcessApp;
  let oauth: OAuthContext;
  let server: FastifyInstance;
  let policy: Policy = DEFAULT_POLICY;

  beforeAll(async () => {
    target = await startInProcessApp();
    // The app's own check, with a policy the test sets.
    oauth = await createOAuthContext({
      config: target.config,
      nextcloud: target.fixture.nextcloud,
      db: target.db,
      policy: { current: async () => policy, invalidate: () => {} },
      log: target.app.log,
    });
    server = Fastify();
    server.post('/mcp', async (request, reply) => {
      const checked = await authenticateMcpRequest(oauth, request, reply, 'mcp');
      return checked ? reply.send({ identity: checked.identity }) : reply;
    });
  });
  afterAll(async () => {
    vi.useRealTimers();
    await server?.close();
    await target?.stop();
  });

  const check = async (token: string) => {
    const response = await server.inject({
      method: 'POST',
      url: '/mcp',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      payload: '{}',
    });
    return {
      status: response.statusCode,
      identity: response.statusCode === 200 ? (response.json() as { identity: McpIdentity }).identity : undefined,
      error: response.headers['www-authenticate'] as string | undefined,
    };
  };
  /** A fresh grant and its token, checked once so the token is kept. */
  const verifiedToken = async (user = 'alice', scope = 'files.read files.write') => {
    const { accessToken } = await injectToken(target, user, scope);
    const size = verifiedAccessTokens(oauth.keys).size;
    expect((await check(accessToken)).status).toBe(200);
    expect(verifiedAccessTokens(oauth.keys).size).toBe(size + 1);
    // And answered from memory from now on.
    expect((await check(accessToken)).status).toBe(200);
    expect(verifiedAccessTokens(oauth.keys).size).toBe(size + 1);
    return accessToken;
  };

  it('refuses a kept token right after its grant is revoked', async () => {
    const token = await verifiedToken();
    sqliteOAuthStore(target.db).revokeGrant(claimsOf(token).gid, 'revoked by the person');
    const refused = await check(token);
    expect(refused.status).toBe(401);
    expect(refused.error).toContain('error="invalid_token"');
    expect(refused.error).toContain('access was revoked');
  });

  it("refuses a kept token right after the admin's client rules stop allowing its client", async () => {
    const token = await verifiedToken();
    try {
      policy = { ...DEFAULT_POLICY, dynamicRegistration: false };
      expect((await check(token)).status).toBe(401);
      policy = { ...DEFAULT_POLICY, redirectRules: [parseRedirectRule('https://claude.ai/api/mcp/auth_callback') as RedirectRule] };
      const refused = await check(token);
      expect(refused.status).toBe(401);
      expect(refused.error).toContain('redirect URI is no longer allowed');
      // Nothing was revoked: allowed again, the same token works again.
      policy = DEFAULT_POLICY;
      expect((await check(token)).status).toBe(200);
    } finally {
      policy = DEFAULT_POLICY;
    }
  });

  it('narrows a kept token to the scope ceiling on the very next request', async () => {
    const token = await verifiedToken();
    try {
      policy = { ...DEFAULT_POLICY, enabledScopes: ['files.read', 'calendar.read', 'talk.read'], readOnly: true };
      expect((await check(token)).identity?.scopes).toEqual(['files.read']);
      policy = DEFAULT_POLICY;
      expect((await check(token)).identity?.scopes).toEqual(['files.read', 'files.write']);
    } finally {
      policy = DEFAULT_POLICY;
    }
  });

  it('refuses a kept token from the second it expires', async () => {
    const token = await verifiedToken();
    const { exp } = claimsOf(token);
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(exp * 1000 - 1000);
      expect((await check(token)).status).toBe(200);
      vi.setSystemTime(exp * 1000);
      const refused = await check(token);
      expect(refused.status).toBe(401);
      expect(refused.error).toContain('the access token has expired');
    } finally {
      vi.useRealTimers();
    }
  });

  it('refuses a kept token once its account is disabled, within the account check period as before', async () => {
    const token = await verifiedToken('carol', 'files.read');
    target.fixture.sim.setUserEnabled('carol', false);
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + target.config.policyTtlMs + 1000);
      const refused = await check(token);
      expect(refused.status).toBe(401);
      expect(refused.error).toContain('the Nextcloud account carol is disabled');
    } finally {
      vi.useRealTimers();
      target.fixture.sim.setUserEnabled('carol', true);
    }
  });

  it('hands on the account the check read', async () => {
    const { identity } = await check(await verifiedToken());
    expect(identity?.account).toEqual({ id: 'alice', displayName: 'Alice Liddell', email: 'alice@example.com', groups: ['staff'] });
  });
});
