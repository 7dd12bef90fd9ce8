// The whole OAuth flow as a user of ChatGPT or Claude goes through it: the MCP SDK client discovers the server
// from the 401, registers, sends a real browser through Nextcloud's login and the consent page, gets tokens,
// refreshes them, and calls a tool as the user who consented. Through the PHP proxy and through HaRP.
import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium, openAfterLogin } from '../../support/browser.js';
import type { Deployment, ProxyKind } from '../../support/deployment.js';
import { deploy } from '../../support/deployment.js';
import { BrowserOAuthProvider, connectWithOAuth } from '../../support/mcp-oauth-client.js';
import { TWO_FACTOR_CODE } from '../../nextcloud-sim/index.js';

const artifacts = path.join(process.cwd(), 'test-artifacts');

async function whoami(client: Awaited<ReturnType<typeof connectWithOAuth>>) {
  const result = await client.callTool({ name: 'whoami', arguments: {} });
  expect(result.isError).toBeFalsy();
  return result.structuredContent as { userId: string; displayName: string; scopes: string[]; clientId: string };
}

// Every entrance on today's AppAPI, and the PHP proxy of the oldest release the manifest must route on.
const entrances: Array<{ kind: ProxyKind; appApiVersion: string }> = [
  { kind: 'php', appApiVersion: '35.0.0' },
  { kind: 'harp', appApiVersion: '35.0.0' },
  { kind: 'php', appApiVersion: '32.0.5' },
];

describe.skipIf(!chromiumAvailable() && !process.env.CI).each(entrances)(
  'OAuth with the MCP SDK client through the $kind proxy of AppAPI $appApiVersion',
  ({ kind, appApiVersion }) => {
    let deployment: Deployment;
    let browser: Browser;
    const providers: BrowserOAuthProvider[] = [];

    beforeAll(async () => {
      deployment = await deploy(kind, { sim: { appApiVersion } });
      browser = await launchChromium();
    });
    afterAll(async () => {
      for (const provider of providers) await provider.close();
      await browser?.close();
      await deployment?.stop();
    });

    it('answers browser-based clients with CORS; preflights reach the app only behind HaRP', async () => {
      const origin = { origin: 'http://localhost:6274' };
      const unauthenticated = await fetch(deployment.connector, { method: 'POST', headers: origin });
      expect(unauthenticated.status).toBe(401);
      expect(unauthenticated.headers.get('access-control-allow-origin')).toBe('*');
      expect(unauthenticated.headers.get('access-control-expose-headers')).toContain('WWW-Authenticate');
      const preflight = await fetch(deployment.connector, {
        method: 'OPTIONS',
        headers: {
          ...origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, content-type, mcp-protocol-version',
        },
      });
      if (kind === 'harp') {
        expect(preflight.status).toBe(204);
        expect(preflight.headers.get('access-control-allow-headers')).toContain('MCP-Protocol-Version');
      } else {
        // Nextcloud's PHP proxy routes GET, POST, PUT and DELETE only.
        expect(preflight.status).toBe(405);
      }
      expect(
        (await fetch(deployment.url('.well-known/oauth-authorization-server'), { headers: origin })).headers.get(
          'access-control-allow-origin',
        ),
      ).toBe('*');
      // The authorization page is navigated to, never fetched across origins.
      expect((await fetch(deployment.url('oauth/authorize'), { headers: origin })).headers.get('access-control-allow-origin')).toBeNull();
    });

    it('connects as alice after login and consent, refreshes, and acts as alice', async () => {
      const provider = await BrowserOAuthProvider.create(browser, {
        user: 'alice',
        password: 'alice',
        onConsent: async (page) => {
          expect(await page.locator('#client-name').innerText()).toBe('Test MCP client');
          expect(await page.locator('#redirect-host').innerText()).toMatch(/^127\.0\.0\.1:\d+$/);
          expect(await page.locator('#loopback-warning').count()).toBe(1);
          // The person learns where what the client reads goes, before allowing it.
          expect(await page.locator('#data-notice').innerText()).toContain('Test MCP client reads');
          fs.mkdirSync(artifacts, { recursive: true });
          await page.screenshot({ path: path.join(artifacts, `consent-page-${kind}-${appApiVersion}.png`), fullPage: true });
        },
      });
      providers.push(provider);
      const client = await connectWithOAuth(deployment.connector, provider);
      expect(provider.consentShown).toBe(1);
      // What the SDK sent: PKCE S256 and the resource exactly as the protected resource metadata names it.
      const sent = provider.authorizationUrls[0]!;
      expect(sent.searchParams.get('code_challenge_method')).toBe('S256');
      expect(sent.searchParams.get('resource')).toBe(deployment.connector);
      expect(sent.href.startsWith(`${deployment.base}/oauth/authorize?`)).toBe(true);

      const me = await whoami(client);
      expect(me).toMatchObject({ userId: 'alice', displayName: 'Alice Liddell' });
      expect(me.scopes).toEqual(expect.arrayContaining(['files.read', 'calendar.write', 'talk.read']));

      // An access token the server refuses (as an expired one is) makes the SDK refresh; the refresh token rotates.
      const before = provider.tokens()!;
      expect(before.refresh_token).toBeTruthy();
      provider.setAccessToken('not-a-valid-token');
      expect((await whoami(client)).userId).toBe('alice');
      const after = provider.tokens()!;
      expect(after.refresh_token).toBeTruthy();
      expect(after.refresh_token).not.toBe(before.refresh_token);
      expect(after.access_token).not.toBe('not-a-valid-token');
      await client.close();
    });

    it('a second person gets their own identity, with the scopes they left ticked', async () => {
      const provider = await BrowserOAuthProvider.create(browser, { user: 'bob', password: 'bob', untick: ['files.write', 'talk.write'] });
      providers.push(provider);
      const client = await connectWithOAuth(deployment.connector, provider);
      const me = await whoami(client);
      expect(me.userId).toBe('bob');
      expect(me.scopes).toContain('files.read');
      expect(me.scopes).not.toContain('files.write');
      expect(me.scopes).not.toContain('talk.write');
      await client.close();
    });

    it("signs in a person with two-factor authentication, and the client's state comes back exact", async () => {
      deployment.sim.setTwoFactor('bob', true);
      try {
        // Nextcloud's two-factor step decodes the return URL a second time: these would not survive in it.
        const provider = await BrowserOAuthProvider.create(browser, {
          user: 'bob',
          password: 'bob',
          twoFactorCode: TWO_FACTOR_CODE,
          stateSuffix: '+a%2Bb&c=d#e',
        });
        providers.push(provider);
        provider.invalidateCredentials('tokens');
        const client = await connectWithOAuth(deployment.connector, provider);
        expect((await whoami(client)).userId).toBe('bob');
        await client.close();
      } finally {
        deployment.sim.setTwoFactor('bob', false);
      }
    });

    it('sends a logged-out person from Connected apps through the login and back', async () => {
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        await page.goto(deployment.url('connections'));
        await page.waitForSelector('#user', { timeout: 15_000 });
        await page.fill('#user', 'alice');
        await page.fill('#password', 'alice');
        await Promise.all([page.waitForURL('**/connections', { timeout: 15_000 }), page.click('#submit-form')]);
        expect(await page.locator('h1').innerText()).toBe('Connected apps');
      } finally {
        await context.close();
      }
    });

    it('does not ask again for what was already consented, and shows the connection on the connected-apps page', async () => {
      const first = await BrowserOAuthProvider.create(browser, { user: 'carol', password: 'carol' });
      providers.push(first);
      await (await connectWithOAuth(deployment.connector, first)).close();
      expect(first.consentShown).toBe(1);
      // The same client authorizes again (its tokens lost): login again, but no consent page this time.
      first.invalidateCredentials('tokens');
      const again = await connectWithOAuth(deployment.connector, first);
      expect(first.consentShown).toBe(1);
      expect((await whoami(again)).userId).toBe('carol');

      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        await openAfterLogin(page, deployment.sim.url, deployment.url('connections'), 'carol');
        expect(await page.locator('tr.connection').count()).toBe(1);
        expect(await page.locator('tr.connection').innerText()).toContain('Test MCP client');
        fs.mkdirSync(artifacts, { recursive: true });
        await page.screenshot({ path: path.join(artifacts, `connected-apps-${kind}-${appApiVersion}.png`), fullPage: true });
        await Promise.all([page.waitForURL('**/connections/revoke'), page.click('button.revoke')]);
        expect(await page.locator('#notice').innerText()).toContain('Access revoked');
        expect(await page.locator('tr.connection').count()).toBe(0);
      } finally {
        await context.close();
      }
      // Revoked in the browser: the very next MCP request is refused, and the SDK cannot refresh its way back;
      // it starts a new authorization instead.
      first.setPerson({ user: 'carol', password: 'carol', interactive: false });
      const asked = first.authorizationUrls.length;
      await expect(again.callTool({ name: 'whoami', arguments: {} })).rejects.toThrow(/Unauthorized/);
      expect(first.authorizationUrls.length).toBe(asked + 1);
    });
  },
);
