// Nextcloud unable to say who a request is, behind HaRP: in maintenance, or too slow to answer HaRP's user lookup,
// HaRP refuses every Bearer request with a bare 401 (text/plain, no WWW-Authenticate) before the app sees it.
// The MCP SDK's own client, holding tokens from a real authorization, must come out of that with the same grant:
// no new consent, no refresh, nothing revoked.
//
// What the v1 SDK does with that 401: with no WWW-Authenticate there is no resource_metadata URL, so it runs its
// discovery at the root of the Nextcloud origin (/.well-known/oauth-protected-resource/<path>, then the
// authorization server metadata). In maintenance Nextcloud answers those 503 and the SDK gives up with a plain
// Error. When Nextcloud is up but the lookup timed out, they are 404: the SDK takes the Nextcloud origin for the
// authorization server, tries to register a new client at its /register, gets 404 and gives up with a
// ServerError. Either way it neither refreshes nor starts an authorization, and keeps its tokens.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium } from '../../support/browser.js';
import type { Deployment } from '../../support/deployment.js';
import { deploy } from '../../support/deployment.js';
import type { McpConnection } from '../../support/mcp-oauth-client.js';
import { BrowserOAuthProvider, connectWithOAuth, isUnauthorizedError } from '../../support/mcp-oauth-client.js';
import type { Exchange, Recording } from '../../support/recording-fetch.js';
import { recordingFetch } from '../../support/recording-fetch.js';

/** Short, so a held lookup times out quickly; far above what a lookup takes here. */
const LOOKUP_TIMEOUT_MS = 2_000;
const USER_INFO = '/index.php/apps/app_api/harp/user-info';

describe.skipIf(!chromiumAvailable() && !process.env.CI)('Nextcloud unable to name the user behind HaRP', () => {
  let deployment: Deployment;
  let browser: Browser;
  const providers: BrowserOAuthProvider[] = [];

  beforeAll(async () => {
    deployment = await deploy('harp', { sim: { harpUserLookupTimeoutMs: LOOKUP_TIMEOUT_MS } });
    browser = await launchChromium();
  });
  afterAll(async () => {
    for (const provider of providers) await provider.close();
    await browser?.close();
    await deployment?.stop();
  });

  async function connected(user: string): Promise<{ provider: BrowserOAuthProvider; connection: McpConnection; recording: Recording }> {
    const recording = recordingFetch();
    const provider = await BrowserOAuthProvider.create(browser, { user, password: user });
    providers.push(provider);
    const connection = await connectWithOAuth(deployment.connector, provider, { sdk: 'v1', fetch: recording.fetch });
    expect(provider.consentShown).toBe(1);
    expect((await connection.listTools()).length).toBeGreaterThan(0);
    return { provider, connection, recording };
  }

  /** The MCP POSTs the app received, as its request log shows them. */
  const mcpPostsLogged = () =>
    deployment.app
      .output()
      .split('\n')
      .filter((line) => line.includes('"method":"POST","url":"/mcp"')).length;

  async function expectHarpRefusal(exchange: Exchange): Promise<void> {
    expect(exchange).toMatchObject({ url: deployment.connector, status: 401 });
    expect(exchange.requestHeaders.authorization).toMatch(/^Bearer /);
    expect(exchange.responseHeaders['content-type']).toBe('text/plain');
    expect(exchange.responseHeaders['www-authenticate']).toBeUndefined();
    expect(await exchange.responseText).toBe('401 Unauthorized');
  }

  /** Neither a refresh, nor a token request of any kind, nor a new authorization. */
  function expectNothingSpent(exchanges: Exchange[], provider: BrowserOAuthProvider): void {
    expect(
      exchanges.filter((exchange) => exchange.url.includes('/token') || /grant_type=refresh_token/.test(exchange.requestBody ?? '')),
    ).toEqual([]);
    expect(provider.authorizationUrls).toHaveLength(1);
    expect(provider.consentShown).toBe(1);
  }

  /** The grant is alive: its refresh token still rotates, and the new access token works. */
  async function expectGrantAlive(provider: BrowserOAuthProvider, connection: McpConnection): Promise<void> {
    const tokens = provider.tokens()!;
    const client = provider.clientInformation()!;
    const refreshed = await fetch(deployment.url('oauth/token'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_id: client.client_id }),
    });
    expect(refreshed.status).toBe(200);
    provider.saveTokens((await refreshed.json()) as typeof tokens);
    expect((await connection.listTools()).length).toBeGreaterThan(0);
    expect(deployment.app.output()).not.toMatch(/revoked|already used/i);
  }

  it('in maintenance: calls fail with HaRP 401 and the SDK gives up; afterwards the same client and tokens work', async () => {
    const { provider, connection, recording } = await connected('alice');
    const tokens = provider.tokens();
    const mark = recording.exchanges.length;
    const postsBefore = mcpPostsLogged();

    deployment.sim.setMaintenance(true);
    const failure = await connection.listTools().then(
      () => null,
      (error: unknown) => error as Error,
    );
    expect(failure).toBeInstanceOf(Error);
    expect(isUnauthorizedError(failure)).toBe(false);
    expect(failure!.message).toMatch(/HTTP 503 trying to load OAuth metadata/);
    const during = recording.exchanges.slice(mark);
    await expectHarpRefusal(during[0]!);
    // Its discovery went to the Nextcloud root, which answered 503 to every request.
    const discovery = during.slice(1);
    expect(discovery.length).toBeGreaterThan(0);
    for (const exchange of discovery) {
      expect(new URL(exchange.url).pathname).toMatch(/^\/\.well-known\//);
      expect(exchange.status).toBe(503);
    }
    expectNothingSpent(during, provider);
    expect(provider.tokens()).toEqual(tokens);

    deployment.sim.setMaintenance(false);
    const after = recording.exchanges.length;
    expect((await connection.listTools()).length).toBeGreaterThan(0);
    // The same access token, straight through: no refresh, no consent.
    expect(recording.exchanges.slice(after).map((exchange) => [exchange.url, exchange.status])).toEqual([[deployment.connector, 200]]);
    expect(recording.exchanges[after]!.requestHeaders.authorization).toBe(`Bearer ${tokens!.access_token}`);
    // The refused call never reached the app; the one after maintenance did.
    await expect.poll(mcpPostsLogged).toBe(postsBefore + 1);
    expectNothingSpent(recording.exchanges.slice(mark), provider);
    await expectGrantAlive(provider, connection);
  });

  it('a user lookup held past HaRP’s timeout: the same refusal, the SDK gives up without spending its tokens', async () => {
    const { provider, connection, recording } = await connected('bob');
    const tokens = provider.tokens();
    const mark = recording.exchanges.length;
    const postsBefore = mcpPostsLogged();

    const hold = deployment.sim.holdRequests((method, path) => method === 'GET' && path === USER_INFO);
    const failure = await connection.listTools().then(
      () => null,
      (error: unknown) => error as Error,
    );
    hold.release();
    expect(failure).toBeInstanceOf(Error);
    expect(isUnauthorizedError(failure)).toBe(false);
    expect(failure!.constructor.name).toBe('ServerError');
    const during = recording.exchanges.slice(mark);
    const refusal = during.find((exchange) => exchange.method === 'POST' && exchange.url === deployment.connector)!;
    await expectHarpRefusal(refusal);
    // Discovery at the Nextcloud root found nothing, so the SDK took Nextcloud for the authorization server and
    // tried to register there: client metadata sent to Nextcloud, not to the app.
    const origin = new URL(deployment.base).origin;
    const registrations = during.filter((exchange) => exchange.url === `${origin}/register`);
    expect(registrations.length).toBeGreaterThan(0);
    for (const exchange of registrations) expect(exchange.status).toBe(404);
    expectNothingSpent(during, provider);
    expect(provider.tokens()).toEqual(tokens);

    const after = recording.exchanges.length;
    expect((await connection.listTools()).length).toBeGreaterThan(0);
    expect(recording.exchanges.slice(after).map((exchange) => [exchange.url, exchange.status])).toEqual([[deployment.connector, 200]]);
    await expect.poll(mcpPostsLogged).toBe(postsBefore + 1);
    await expectGrantAlive(provider, connection);
  });
});
