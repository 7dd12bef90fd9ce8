// An MCP client as ChatGPT, Claude or the Inspector would be one: the SDK's own client and OAuth support, with
// an OAuthClientProvider whose redirectToAuthorization drives a real browser through Nextcloud's login and the
// app's consent page, and a loopback callback server that receives the code.
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { Browser, Page } from 'playwright-core';
import { close, listen } from './http-server.js';

export interface BrowserUser {
  user: string;
  password: string;
  /** Scopes to untick on the consent page. */
  untick?: string[];
  /** Called on the consent page before approving (screenshots). */
  onConsent?: (page: Page) => Promise<void>;
  /** false: the person does not come back to the browser (the authorization URL is only recorded). */
  interactive?: boolean;
  /** The code for Nextcloud's two-factor step, for a person who has it switched on. */
  twoFactorCode?: string;
  /**
   * Appended to the client's random state: characters real clients put there (`+`, `%2B`, `&`, `#`) that a
   * second decoding of the login's return URL would corrupt.
   */
  stateSuffix?: string;
}

export class BrowserOAuthProvider implements OAuthClientProvider {
  private info: OAuthClientInformationMixed | undefined;
  private stored: OAuthTokens | undefined;
  private verifier = '';
  private expectedState = '';
  private codeWaiter: { resolve(code: string): void; reject(error: Error): void } | undefined;
  private codePromise: Promise<string> | undefined;
  /** Every authorization URL the SDK opened, to check what it sent. */
  readonly authorizationUrls: URL[] = [];
  consentShown = 0;

  private constructor(
    private readonly browser: Browser,
    private readonly callbackServer: http.Server,
    readonly redirectUrl: string,
    private person: BrowserUser,
    private readonly scope?: string,
    private readonly refresh = true,
  ) {}

  /**
   * `refresh: false` registers without the refresh_token grant. The SDK (1.32) answers a 403 insufficient_scope
   * by refreshing when it holds a refresh token, which cannot widen a grant, and then gives up; a client
   * without one goes back to the authorization page with the wider scope, as the step-up flow intends.
   */
  static async create(browser: Browser, person: BrowserUser, options: { scope?: string; refresh?: boolean } = {}): Promise<BrowserOAuthProvider> {
    let provider: BrowserOAuthProvider | undefined;
    const server = http.createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      response.writeHead(200, { 'content-type': 'text/plain' }).end('You can close this window.');
      provider?.receive(url);
    });
    const base = await listen(server);
    provider = new BrowserOAuthProvider(browser, server, `${base}/callback`, person, options.scope, options.refresh !== false);
    return provider;
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'Test MCP client',
      redirect_uris: [this.redirectUrl],
      grant_types: this.refresh ? ['authorization_code', 'refresh_token'] : ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      ...(this.scope ? { scope: this.scope } : {}),
    };
  }

  setPerson(person: BrowserUser): void {
    this.person = person;
  }

  state(): string {
    this.expectedState = randomBytes(16).toString('base64url') + (this.person.stateSuffix ?? '');
    return this.expectedState;
  }
  clientInformation() {
    return this.info;
  }
  saveClientInformation(info: OAuthClientInformationMixed) {
    this.info = info;
  }
  tokens() {
    return this.stored;
  }
  saveTokens(tokens: OAuthTokens) {
    this.stored = tokens;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
  invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery') {
    if (scope === 'all' || scope === 'tokens') this.stored = undefined;
    if (scope === 'all' || scope === 'client') this.info = undefined;
  }

  /** Replaces the stored access token, e.g. with garbage to make the server answer 401. */
  setAccessToken(accessToken: string): void {
    if (this.stored) this.stored = { ...this.stored, access_token: accessToken };
  }

  async redirectToAuthorization(authorizationUrl: URL): Promise<void> {
    this.authorizationUrls.push(authorizationUrl);
    this.codePromise = new Promise((resolve, reject) => (this.codeWaiter = { resolve, reject }));
    if (this.person.interactive === false) return;
    const context = await this.browser.newContext();
    const page = await context.newPage();
    try {
      await page.goto(authorizationUrl.toString());
      const callback = this.redirectUrl;
      // Either Nextcloud's login form (no session yet), the consent page, or straight back to the client.
      await page.waitForURL((url) => url.href.startsWith(callback) || url.pathname.endsWith('/login'), { timeout: 15_000 }).catch(() => undefined);
      if (page.url().includes('/login')) {
        await page.fill('#user', this.person.user);
        await page.fill('#password', this.person.password);
        await page.click('#submit-form');
        if (this.person.twoFactorCode !== undefined) {
          await page.waitForSelector('#challenge', { timeout: 15_000 });
          await page.fill('#challenge', this.person.twoFactorCode);
          await page.click('#submit-challenge');
        }
      }
      // The consent page, or straight back to the client when consent was given before.
      const consent = page.waitForSelector('#approve', { timeout: 15_000 }).then(() => 'consent' as const);
      const back = page.waitForURL((url) => url.href.startsWith(callback), { timeout: 15_000 }).then(() => 'back' as const);
      consent.catch(() => undefined);
      back.catch(() => undefined);
      if ((await Promise.race([consent, back])) === 'consent') {
        this.consentShown++;
        for (const scope of this.person.untick ?? []) await page.uncheck(`input[name="scope"][value="${scope}"]`);
        await this.person.onConsent?.(page);
        await page.click('#approve');
        await back;
      }
    } finally {
      await context.close();
    }
  }

  /** The code the browser brought back; the state is checked here, as the SDK leaves that to the provider. */
  async authorizationCode(): Promise<string> {
    if (!this.codePromise) throw new Error('No authorization was started.');
    return this.codePromise;
  }

  private receive(url: URL): void {
    const waiter = this.codeWaiter;
    if (!waiter) return;
    if (url.searchParams.get('state') !== this.expectedState) return waiter.reject(new Error(`state mismatch in ${url.search}`));
    const code = url.searchParams.get('code');
    if (!code) return waiter.reject(new Error(`authorization failed: ${url.searchParams.get('error')} ${url.searchParams.get('error_description')}`));
    waiter.resolve(code);
  }

  async close(): Promise<void> {
    await close(this.callbackServer);
  }
}

/** Connects as the SDK does: first attempt → 401 → browser authorization → finishAuth → connect again. */
export async function connectWithOAuth(serverUrl: string, provider: BrowserOAuthProvider): Promise<Client> {
  const first = new StreamableHTTPClientTransport(new URL(serverUrl), { authProvider: provider });
  const probe = new Client({ name: 'test-client', version: '1.0.0' });
  try {
    await probe.connect(first);
    return probe;
  } catch (error) {
    if (!(error instanceof UnauthorizedError)) throw error;
  }
  await first.finishAuth(await provider.authorizationCode());
  const client = new Client({ name: 'test-client', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(serverUrl), { authProvider: provider }));
  return client;
}
