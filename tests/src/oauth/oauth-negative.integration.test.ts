// Everything that must fail, failing cleanly: tampered redirects, replayed codes, broken PKCE, wrong resources,
// reused refresh tokens, foreign or expired tokens, revoked grants, ineligible users, forged consent. Driven with
// plain HTTP and real Nextcloud sessions of the simulator, through the PHP proxy and through HaRP.
import path from 'node:path';
import Database from 'better-sqlite3';
import { SignJWT, importJWK } from 'jose';
import type { JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { hashSecret } from '../../../src/core/secrets.js';
import type { Deployment, ProxyKind } from '../../support/deployment.js';
import { deploy, settingsReread } from '../../support/deployment.js';
import { rawOAuth, redirectUri } from '../../support/oauth-raw.js';

let d: Deployment;

/** Reads the app's own database, for what no answer shows. */
function readStore<T>(read: (db: Database.Database) => T): T {
  const db = new Database(path.join(d.app.storageDir, 'mcp_gateway.sqlite'), { readonly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

const refreshTokenUsedAt = (refreshToken: string) =>
  readStore(
    (db) =>
      db.prepare('SELECT used_at FROM oauth_refresh_tokens WHERE token_hash = ?').get(hashSecret(refreshToken)) as
        { used_at: number | null } | undefined,
  )?.used_at;

const { navigationTarget, returnLink, pkce, register, authorizePage, submitConsent, obtainCode, token, exchange, mcp, issued } = rawOAuth(
  () => d,
);

describe.each<ProxyKind>(['php', 'harp'])('through the %s proxy', (kind) => {
  // The same entrance under another host name (and, for the PHP proxy, with pretty URLs: without index.php).
  const ALIAS =
    kind === 'harp' ? 'https://cloud.example.com/exapps/mcp_gateway' : 'https://cloud.example.com/apps/app_api/proxy/mcp_gateway';
  beforeAll(async () => {
    d = await deploy(kind, {
      env: { MCP_GATEWAY_POLICY_TTL_SECONDS: '0.05', MCP_GATEWAY_PUBLIC_URL_ALIASES: ALIAS, MCP_GATEWAY_REFRESH_REUSE_GRACE_SECONDS: '1' },
    });
  });
  afterAll(() => d?.stop());

  describe('discovery and the 401 challenge', () => {
    it('answers a request without a token with 401 pointing to the protected resource metadata by absolute URL', async () => {
      for (const method of ['GET', 'POST', 'DELETE']) {
        const response = await fetch(d.connector, { method });
        expect(response.status).toBe(401);
        const challenge = response.headers.get('www-authenticate')!;
        expect(challenge).toContain(`resource_metadata="${d.base}/.well-known/oauth-protected-resource/mcp"`);
        expect(challenge).toMatch(/scope="files\.read[^"]*"/);
        expect(challenge).not.toContain('error=');
        expect(response.headers.get('cache-control')).toBe('no-store');
      }
      const prm = (await (await fetch(`${d.base}/.well-known/oauth-protected-resource/mcp`)).json()) as Record<string, unknown>;
      expect(prm).toMatchObject({ resource: d.connector, authorization_servers: [d.base] });
      expect(prm.scopes_supported).not.toContain('offline_access');
      const as = (await (await fetch(`${d.base}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
      expect(as).toMatchObject({
        issuer: d.base,
        code_challenge_methods_supported: ['S256'],
        client_id_metadata_document_supported: true,
        subject_types_supported: ['public'],
      });
      expect(as.scopes_supported).toContain('offline_access');
      expect(as.token_endpoint_auth_methods_supported).toContain('none');
    });

    it('says invalid_token for a token that is not ours', async () => {
      const response = await mcp('garbage.token.value');
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
    });
  });

  describe('registration', () => {
    it('sets client_id and secrets itself, whatever the registration claims', async () => {
      const registered = await register({ client_id: 'mcp-chosen', client_secret: 'chosen-secret', client_secret_expires_at: 1 });
      expect(registered.status).toBe(201);
      expect(registered.body.client_id).not.toBe('mcp-chosen');
      expect(registered.body.client_secret).toBeUndefined();
      expect(registered.body.token_endpoint_auth_method).toBe('none');
    });

    it('refuses redirect URIs outside the policy and accepts ChatGPT, Claude and loopback ones', async () => {
      expect((await register({ redirect_uris: ['https://evil.example/callback'] })).body.error).toBe('invalid_redirect_uri');
      expect((await register({ redirect_uris: ['http://chatgpt.com/connector/oauth/x'] })).body.error).toBe('invalid_redirect_uri');
      expect((await register({ redirect_uris: ['https://chatgpt.com/cb#frag'] })).body.error).toBe('invalid_redirect_uri');
      for (const uri of [
        'https://chatgpt.com/connector/oauth/abc123',
        'https://claude.ai/api/mcp/auth_callback',
        'http://localhost:6274/oauth/callback',
      ]) {
        const registered = await register({ redirect_uris: [uri] });
        expect(registered.status).toBe(201);
        expect(registered.body.client_id).toMatch(/^mcp-/);
      }
    });
  });

  describe('authorization request', () => {
    let clientId: string;
    const { challenge } = pkce();
    beforeAll(async () => {
      clientId = (await register()).body.client_id!;
    });
    const base = () => ({
      client_id: clientId,
      redirect_uri: redirectUri,
      response_type: 'code',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: 's1',
      resource: d.connector,
    });

    it('sends an anonymous visitor to Nextcloud login and back (a page, not a 3xx)', async () => {
      const { status, page } = await authorizePage(base());
      expect(status).toBe(200);
      const target = new URL(navigationTarget(page)!);
      expect(target.pathname).toBe('/index.php/login');
      expect(target.searchParams.get('redirect_url')!.startsWith(`${new URL(d.url('oauth/authorize')).pathname}?`)).toBe(true);
    });

    it('returns from the login with an opaque resume id that survives a second decoding, and keeps the state exact', async () => {
      // Characters Nextcloud's two-factor step would corrupt if they travelled through the login's return URL.
      const state = 'a+b%2Bc&d=e#f g';
      // A client of its own: the consent given here must not answer the other tests' consent pages.
      const own = (await register()).body.client_id!;
      const { page } = await authorizePage({ ...base(), client_id: own, state });
      const back = new URL(navigationTarget(page)!).searchParams.get('redirect_url')!;
      expect(back).toMatch(/\/oauth\/authorize\?resume=[A-Za-z0-9_-]+$/);
      expect(decodeURIComponent(decodeURIComponent(back))).toBe(back);
      const resumed = await fetch(new URL(back, d.sim.url), { headers: { cookie: d.sim.sessionCookie('alice') } });
      const consent = await resumed.text();
      expect(consent).toContain('id="approve"');
      const code = new URL(navigationTarget((await submitConsent(consent, 'alice')).page)!);
      expect(code.searchParams.get('state')).toBe(state);
      expect(code.searchParams.get('code')).toBeTruthy();
      // An unknown or expired resume id is an error page, never a redirect.
      const unknown = await fetch(new URL(back.replace(/resume=.*/, 'resume=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'), d.sim.url), {
        headers: { cookie: d.sim.sessionCookie('alice') },
      });
      expect(unknown.status).toBe(400);
      expect(navigationTarget(await unknown.text())).toBeNull();
    });

    it('shows an error page, never a redirect, for an unknown client or a tampered redirect URI', async () => {
      const unknown = await authorizePage({ ...base(), client_id: 'mcp-does-not-exist' }, 'alice');
      expect(unknown.status).toBe(400);
      expect(navigationTarget(unknown.page)).toBeNull();
      for (const tampered of [
        'http://127.0.0.1:4999/callback/../evil',
        'http://127.0.0.1:4999/callbackx',
        'https://evil.example/callback',
      ]) {
        const response = await authorizePage({ ...base(), redirect_uri: tampered }, 'alice');
        expect(response.status).toBe(400);
        expect(navigationTarget(response.page)).toBeNull();
      }
      // Loopback: another port is the same client (RFC 8252), another path is not.
      const otherPort = await authorizePage({ ...base(), redirect_uri: 'http://127.0.0.1:5001/callback' }, 'alice');
      expect(otherPort.page).toContain('id="approve"');
    });

    it('answers missing PKCE, plain PKCE, a wrong resource or an unknown scope with an error for the client, redirected once the client has signed in', async () => {
      const cases: Array<[Record<string, string | undefined>, string]> = [
        [{ code_challenge: undefined, code_challenge_method: undefined }, 'invalid_request'],
        [{ code_challenge_method: 'plain' }, 'invalid_request'],
        [{ code_challenge_method: undefined }, 'invalid_request'],
        [{ resource: 'https://other.example/mcp' }, 'invalid_target'],
        [{ scope: 'admin.everything' }, 'invalid_scope'],
        [{ response_type: 'token' }, 'unsupported_response_type'],
      ];
      const expectError = (href: string | null, error: string) => {
        const target = new URL(href!);
        expect(`${target.origin}${target.pathname}`).toBe(redirectUri);
        expect(target.searchParams.get('error')).toBe(error);
        expect(target.searchParams.get('state')).toBe('s1');
        expect(target.searchParams.get('iss')).toBe(d.base);
        expect(target.searchParams.get('code')).toBeNull();
      };
      // A client of its own, registered a moment ago by anyone: nothing vouches for its redirect URI yet, so the
      // error is shown with a link back (RFC 9700 §4.11.2), never followed by itself.
      const own = (await register()).body.client_id!;
      for (const [change, error] of cases) {
        const { status, page } = await authorizePage({ ...base(), client_id: own, ...change }, 'alice');
        expect(status).toBe(400);
        expect(navigationTarget(page)).toBeNull();
        expectError(returnLink(page), error);
      }
      // A consent alone does not vouch for it either: the sign-in may never have completed. Once the client has
      // redeemed a code sent there, it is the client's own redirect URI, and errors go back to it.
      const flow = pkce();
      const consented = await submitConsent(
        (await authorizePage({ ...base(), client_id: own, code_challenge: flow.challenge }, 'alice')).page,
        'alice',
      );
      const code = new URL(navigationTarget(consented.page)!).searchParams.get('code')!;
      const [change, error] = cases[0]!;
      expectError(returnLink((await authorizePage({ ...base(), client_id: own, ...change }, 'alice')).page), error);
      expect((await exchange({ clientId: own, verifier: flow.verifier, code })).status).toBe(200);
      for (const [change, error] of cases)
        expectError(navigationTarget((await authorizePage({ ...base(), client_id: own, ...change }, 'alice')).page), error);
    });

    it('refuses a consent form that was not issued to the submitting user, or with a forged token', async () => {
      const { page } = await authorizePage(base(), 'alice');
      expect((await submitConsent(page, 'alice', { form_token: 'forged' })).status).toBe(403);
      // Alice's pending consent submitted from Bob's session (a CSRF attempt the other way round).
      expect((await submitConsent(page, 'bob')).status).toBe(403);
      // The real one still works once, and only once.
      expect(new URL(navigationTarget((await submitConsent(page, 'alice')).page)!).searchParams.get('code')).toBeTruthy();
      expect((await submitConsent(page, 'alice')).status).toBe(400);
    });

    it('asks again with prompt=consent, and deny sends access_denied back', async () => {
      // Alice consented to this client above; prompt=consent shows the page anyway.
      const { page } = await authorizePage({ ...base(), prompt: 'consent' }, 'alice');
      const target = new URL(navigationTarget((await submitConsent(page, 'alice', { decision: 'deny' })).page)!);
      expect(target.searchParams.get('error')).toBe('access_denied');
    });
  });

  describe('token endpoint', () => {
    it('issues tokens once per code; a replayed code revokes what it issued', async () => {
      const flow = await obtainCode();
      const first = await exchange(flow);
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ token_type: 'Bearer', scope: 'files.read talk.read' });
      expect((await mcp(first.body.access_token)).status).toBe(200);
      const replay = await exchange(flow);
      expect(replay).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
      expect((await mcp(first.body.access_token)).status).toBe(401);
      expect(
        (await token({ grant_type: 'refresh_token', refresh_token: first.body.refresh_token!, client_id: flow.clientId })).body.error,
      ).toBe('invalid_grant');
    });

    it('refuses a wrong code_verifier, a different redirect_uri, another resource or another client', async () => {
      expect((await exchange(await obtainCode(), { code_verifier: pkce().verifier })).body.error).toBe('invalid_grant');
      expect((await exchange(await obtainCode(), { redirect_uri: 'http://127.0.0.1:4999/other' })).body.error).toBe('invalid_grant');
      // Any loopback port may be used to authorize, but the token request must name the very same URI.
      expect((await exchange(await obtainCode(), { redirect_uri: 'http://127.0.0.1:5001/callback' })).body.error).toBe('invalid_grant');
      expect((await exchange(await obtainCode(), { resource: 'https://other.example/mcp' })).body.error).toBe('invalid_grant');
      const other = (await register()).body.client_id!;
      expect((await exchange(await obtainCode(), { client_id: other })).body.error).toBe('invalid_grant');
      expect((await exchange(await obtainCode(), { client_id: 'mcp-unknown' })).status).toBe(401);
      const noVerifier = await obtainCode();
      expect(
        (
          await token({
            grant_type: 'authorization_code',
            code: noVerifier.code,
            client_id: noVerifier.clientId,
            redirect_uri: redirectUri,
          })
        ).body.error,
      ).toBe('invalid_request');
    });

    it('rotates refresh tokens; reusing an old one revokes the whole grant', async () => {
      const flow = await obtainCode();
      const first = await exchange(flow);
      const second = await token({
        grant_type: 'refresh_token',
        refresh_token: first.body.refresh_token!,
        client_id: flow.clientId,
        resource: d.connector,
      });
      expect(second.status).toBe(200);
      expect(second.body.refresh_token).not.toBe(first.body.refresh_token);
      expect((await mcp(second.body.access_token)).status).toBe(200);
      // The same client refreshing twice at once (parallel requests) is not a theft: both get tokens.
      const parallel = await token({ grant_type: 'refresh_token', refresh_token: first.body.refresh_token!, client_id: flow.clientId });
      expect(parallel.status).toBe(200);
      // After the grace (1 s here, 10 s by default) the old token coming back is reuse; until then a retry keeps
      // getting the successor it was given.
      const reuse = await vi.waitFor(
        async () => {
          const retry = await token({ grant_type: 'refresh_token', refresh_token: first.body.refresh_token!, client_id: flow.clientId });
          if (retry.status === 200) expect(retry.body.refresh_token).toBe(second.body.refresh_token);
          expect(retry.body.error).toBe('invalid_grant');
          return retry;
        },
        { timeout: 10_000, interval: 100 },
      );
      expect(reuse.body.error).toBe('invalid_grant');
      expect((await mcp(second.body.access_token)).status).toBe(401);
      expect(
        (await token({ grant_type: 'refresh_token', refresh_token: second.body.refresh_token!, client_id: flow.clientId })).body.error,
      ).toBe('invalid_grant');
    });

    it('refuses a refresh for another resource or wider scopes without spending the refresh token', async () => {
      const flow = await obtainCode();
      const first = await exchange(flow);
      const refresh = { grant_type: 'refresh_token', refresh_token: first.body.refresh_token!, client_id: flow.clientId };
      expect((await token({ ...refresh, resource: 'https://other.example/mcp' })).body.error).toBe('invalid_target');
      expect((await token({ ...refresh, scope: 'files.read files.write' })).body.error).toBe('invalid_scope');
      // Within the reuse grace a spent token would still be answered, so the store itself must show it unspent.
      expect(refreshTokenUsedAt(first.body.refresh_token!)).toBeNull();
      const still = await token(refresh);
      expect(still.status).toBe(200);
      expect((await mcp(still.body.access_token)).status).toBe(200);
    });

    it('offers no client_secret_basic, and registers a client asking for it with client_secret_post', async () => {
      const as = (await (await fetch(`${d.base}/.well-known/oauth-authorization-server`)).json()) as Record<string, string[]>;
      expect(as.token_endpoint_auth_methods_supported).toEqual(['none', 'client_secret_post']);
      expect(as.revocation_endpoint_auth_methods_supported).toEqual(['none', 'client_secret_post']);
      const client = await register({ token_endpoint_auth_method: 'client_secret_basic' });
      expect(client.status).toBe(201);
      expect(client.body.token_endpoint_auth_method).toBe('client_secret_post');
      expect(client.body.client_secret).toBeTruthy();
    });

    it('answers a malformed Basic header with invalid_client where it arrives, never 5xx', async () => {
      for (const header of [
        'Basic %%%',
        `Basic ${Buffer.from('mcp-x:%E0%A4%A').toString('base64')}`,
        `Basic ${Buffer.from('no-colon').toString('base64')}`,
        'Basic',
      ]) {
        const response = await fetch(d.url('oauth/token'), {
          method: 'POST',
          headers: { authorization: header, 'content-type': 'application/x-www-form-urlencoded' },
          body: 'grant_type=authorization_code&code=x',
        });
        // Behind the PHP proxy Nextcloud core answers a failed Basic login itself (401 {"message":""}).
        expect(response.status, header).toBe(401);
        if (kind === 'harp') expect(((await response.json()) as { error: string }).error, header).toBe('invalid_client');
      }
    });

    it('authenticates confidential clients with client_secret_post, and with client_secret_basic where Basic arrives', async () => {
      const client = await register({ token_endpoint_auth_method: 'client_secret_post' });
      expect(client.body.client_secret).toBeTruthy();
      const { code, verifier } = await obtainCode('alice', 'files.read', d.connector, client.body.client_id);
      const params = { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: redirectUri };
      const wrong = await token({ ...params, client_id: client.body.client_id!, client_secret: 'wrong' });
      expect(wrong).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
      const basic = Buffer.from(`${client.body.client_id}:${client.body.client_secret}`).toString('base64');
      const response = await fetch(d.url('oauth/token'), {
        method: 'POST',
        headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(params),
      });
      if (kind === 'php') {
        // Nextcloud core takes the Basic header for a failed login before the proxy runs: the app never sees it.
        expect(response.status).toBe(401);
        expect(await response.json()).toEqual({ message: '' });
        // A failed client authentication does not touch the code, so the real client can still use it.
        const posted = await token({ ...params, client_id: client.body.client_id!, client_secret: client.body.client_secret! });
        expect(posted.status).toBe(200);
        expect(posted.body.access_token).toBeTruthy();
        return;
      }
      // A failed client authentication does not touch the code, so the real client can still use it.
      expect(response.status).toBe(200);
      expect(((await response.json()) as { access_token?: string }).access_token).toBeTruthy();
    });
  });

  describe('access tokens on /mcp', () => {
    const signingKey = async () => {
      const row = readStore(
        (db) => db.prepare('SELECT kid, private_jwk FROM oauth_signing_keys').get() as { kid: string; private_jwk: string },
      );
      return { kid: row.kid, key: await importJWK(JSON.parse(row.private_jwk) as JWK, 'ES256') };
    };

    it('refuses a token for another audience and an expired one, even when signed with the real key', async () => {
      const flow = await obtainCode();
      const good = await exchange(flow);
      const claims = JSON.parse(Buffer.from(good.body.access_token!.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
      const { kid, key } = await signingKey();
      const forge = (changes: Record<string, unknown>) =>
        new SignJWT({ ...claims, ...changes }).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid }).sign(key);
      const otherAudience = await mcp(await forge({ aud: 'https://other.example/mcp' }));
      expect(otherAudience.status).toBe(401);
      expect(otherAudience.headers.get('www-authenticate')).toContain('another resource');
      const expired = await mcp(await forge({ exp: Math.floor(Date.now() / 1000) - 120 }));
      expect(expired.status).toBe(401);
      expect(expired.headers.get('www-authenticate')).toContain('expired');
      expect((await mcp(await forge({}))).status).toBe(200);
    });

    it('stops working at once when the client revokes it (RFC 7009), by access or refresh token', async () => {
      const viaAccess = await exchange(await obtainCode());
      const flow = await obtainCode();
      const viaRefresh = await exchange(flow);
      const revoke = (tokenValue: string, clientId: string) =>
        fetch(d.url('oauth/revoke'), {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ token: tokenValue, client_id: clientId }),
        });
      const accessClient = JSON.parse(Buffer.from(viaAccess.body.access_token!.split('.')[1]!, 'base64url').toString()).client_id as string;
      expect((await revoke(viaAccess.body.access_token!, accessClient)).status).toBe(200);
      expect((await mcp(viaAccess.body.access_token)).status).toBe(401);
      expect((await revoke(viaRefresh.body.refresh_token!, flow.clientId)).status).toBe(200);
      expect((await mcp(viaRefresh.body.access_token)).status).toBe(401);
      expect((await revoke('unknown-token', flow.clientId)).status).toBe(200);
    });

    it('refuses a disabled user, and a user outside the eligible groups, on the next request after the bound', async () => {
      const carol = await exchange(await obtainCode('carol'));
      expect((await mcp(carol.body.access_token)).status).toBe(200);
      d.sim.setUserEnabled('carol', false);
      try {
        // The account is looked up again once the app's copy of it is older than the bound.
        const refused = await vi.waitFor(
          async () => {
            const answer = await mcp(carol.body.access_token);
            expect(answer.status).toBe(401);
            return answer;
          },
          { timeout: 10_000, interval: 20 },
        );
        expect(refused.status).toBe(401);
        expect(refused.headers.get('www-authenticate')).toContain('disabled');
      } finally {
        d.sim.setUserEnabled('carol', true);
      }

      const bob = await exchange(await obtainCode('bob'));
      expect((await mcp(bob.body.access_token)).status).toBe(200);
      expect(await d.sim.occ(['app_api:app:config:set', 'mcp_gateway', 'eligible_groups', '--value', 'admin,interns'])).toMatchObject({
        code: 0,
      });
      try {
        await settingsReread(d);
        const refused = await mcp(bob.body.access_token);
        expect(refused.status).toBe(401);
        expect(refused.headers.get('www-authenticate')).toContain('not in a group');
        // Nor may bob authorize anew.
        const client = (await register()).body.client_id!;
        const { page } = await authorizePage(
          {
            client_id: client,
            redirect_uri: redirectUri,
            response_type: 'code',
            code_challenge: pkce().challenge,
            code_challenge_method: 'S256',
          },
          'bob',
        );
        expect(new URL(returnLink(page)!).searchParams.get('error')).toBe('access_denied');
        // carol (interns) still may.
        expect(
          (
            await authorizePage(
              {
                client_id: client,
                redirect_uri: redirectUri,
                response_type: 'code',
                code_challenge: pkce().challenge,
                code_challenge_method: 'S256',
              },
              'carol',
            )
          ).page,
        ).toContain('id="approve"');
      } finally {
        d.sim.state.appConfig.get('mcp_gateway')?.delete('eligible_groups');
        await settingsReread(d);
      }
    });
  });

  describe('client metadata documents', () => {
    it('refuses a document URL on a private address before fetching, with an error page', async () => {
      const { status, page } = await authorizePage(
        {
          client_id: 'https://127.0.0.1:9/client.json',
          redirect_uri: redirectUri,
          response_type: 'code',
          code_challenge: pkce().challenge,
          code_challenge_method: 'S256',
        },
        'alice',
      );
      expect(status).toBe(400);
      expect(navigationTarget(page)).toBeNull();
    });
  });

  describe('resource aliases', () => {
    it('binds a token to the alias the client asked for, and refuses a token of one resource for another', async () => {
      const flow = await obtainCode();
      const aliased = await exchange(flow, { resource: `${ALIAS}/mcp` });
      // The code was issued for the main resource; asking for the alias at the token endpoint is a mismatch.
      expect(aliased.body.error).toBe('invalid_grant');

      const tokens = await exchange(await obtainCode('alice', 'files.read', `${ALIAS}/mcp`), { resource: `${ALIAS}/mcp` });
      const claims = JSON.parse(Buffer.from(tokens.body.access_token!.split('.')[1]!, 'base64url').toString()) as { aud: string };
      expect(claims.aud).toBe(`${ALIAS}/mcp`);
      expect((await mcp(tokens.body.access_token)).status).toBe(200);
    });
  });

  describe('the log', () => {
    it('holds none of the codes and tokens that were issued', async () => {
      await d.app.waitForOutput('tokens issued');
      const log = d.app.output();
      expect(issued.size).toBeGreaterThan(10);
      for (const secret of issued) expect(log).not.toContain(secret);
    });
  });

  describe('a crash', () => {
    it('loses no grant: after SIGKILL and a restart, issued tokens still work and refresh still rotates', async () => {
      const flow = await obtainCode('bob');
      const tokens = await exchange(flow);
      // A code that was issued but not yet exchanged survives too.
      const pending = await obtainCode('bob');
      await d.crashAndRestart();
      expect((await mcp(tokens.body.access_token)).status).toBe(200);
      const refreshed = await token({ grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token!, client_id: flow.clientId });
      expect(refreshed.status).toBe(200);
      expect((await mcp(refreshed.body.access_token)).status).toBe(200);
      expect((await exchange(pending)).status).toBe(200);
    });
  });
});
