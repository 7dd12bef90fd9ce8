// An MCP client as ChatGPT, Claude or the Inspector would be one: the SDK's own client and OAuth support, with
// an OAuthClientProvider whose redirectToAuthorization drives a real browser through Nextcloud's login and the
// app's consent page, and a loopback callback server that receives the code. One provider serves both SDK
// generations: the v1 SDK (`@modelcontextprotocol/sdk`, over Streamable HTTP or the legacy HTTP+SSE transport)
// and the v2 client (`@modelcontextprotocol/client`, over Streamable HTTP, on one protocol revision).
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import {
  Client as V2Client,
  StreamableHTTPClientTransport as V2StreamableHTTPClientTransport,
  UnauthorizedError as V2UnauthorizedError,
} from '@modelcontextprotocol/client';
import type {
  OAuthClientProvider as V2OAuthClientProvider,
  OAuthDiscoveryState as V2OAuthDiscoveryState,
} from '@modelcontextprotocol/client';
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
  private discovery: V2OAuthDiscoveryState | undefined;
  private v2View: V2OAuthClientProvider | undefined;
  private callbackWaiter: { resolve(params: URLSearchParams): void; reject(error: Error): void } | undefined;
  private callbackPromise: Promise<URLSearchParams> | undefined;
  /** Every authorization URL the SDK opened, to check what it sent. */
  readonly authorizationUrls: URL[] = [];
  /** The query of every successful return to the redirect URI (code, state, iss), to check what the server sent. */
  readonly callbacks: URLSearchParams[] = [];
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
  static async create(
    browser: Browser,
    person: BrowserUser,
    options: { scope?: string; refresh?: boolean } = {},
  ): Promise<BrowserOAuthProvider> {
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
    if (scope === 'all' || scope === 'discovery') this.discovery = undefined;
  }

  /**
   * This provider as the v2 client wants it: the same person, registration and tokens, plus the discovery state
   * kept across the redirect. The v2 SDK needs that state on the callback leg to check that the code is redeemed
   * at the authorization server that issued it (SEP-2352), and warns without it; it is kept out of the v1 view,
   * where the SDK would use it to skip discovery and so change what the v1 tests exercise.
   */
  forSdkV2(): V2OAuthClientProvider {
    // Built once, so every v2 transport of this provider (the cold start's two, a later one) shares one state.
    // The getters of the object below read this provider's state as it is at the time they are called.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    this.v2View ??= {
      get redirectUrl() {
        return self.redirectUrl;
      },
      get clientMetadata() {
        return self.clientMetadata;
      },
      state: () => this.state(),
      // The v2 SDK stamps the issuer on what it saves (SEP-2352) and expects it back: stored as given.
      clientInformation: () => this.info,
      saveClientInformation: (info) => {
        this.info = info;
      },
      tokens: () => this.stored,
      saveTokens: (tokens) => {
        this.stored = tokens;
      },
      redirectToAuthorization: (url) => this.redirectToAuthorization(url),
      saveCodeVerifier: (verifier) => this.saveCodeVerifier(verifier),
      codeVerifier: () => this.codeVerifier(),
      invalidateCredentials: (scope) => this.invalidateCredentials(scope),
      saveDiscoveryState: (state) => {
        this.discovery = state;
      },
      discoveryState: () => this.discovery,
    };
    return this.v2View;
  }

  /** Replaces the stored access token, e.g. with garbage to make the server answer 401. */
  setAccessToken(accessToken: string): void {
    if (this.stored) this.stored = { ...this.stored, access_token: accessToken };
  }

  async redirectToAuthorization(authorizationUrl: URL): Promise<void> {
    this.authorizationUrls.push(authorizationUrl);
    this.callbackPromise = new Promise((resolve, reject) => (this.callbackWaiter = { resolve, reject }));
    // A refused authorization may be what the test checks, in the browser, without ever asking for the code.
    this.callbackPromise.catch(() => undefined);
    if (this.person.interactive === false) return;
    const context = await this.browser.newContext();
    const page = await context.newPage();
    try {
      await page.goto(authorizationUrl.toString());
      const callback = this.redirectUrl;
      // Either Nextcloud's login form (no session yet), the consent page, or straight back to the client.
      await page
        .waitForURL((url) => url.href.startsWith(callback) || url.pathname.endsWith('/login'), { timeout: 15_000 })
        .catch(() => undefined);
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
    return (await this.authorizationResponse()).get('code')!;
  }

  /**
   * The whole query the browser brought back. The v2 SDK takes it as it is: it checks `iss` against the issuer
   * it discovered (RFC 9207) before it redeems the code, and refuses a code without `iss` from a server that
   * advertises `authorization_response_iss_parameter_supported`, as this one does.
   */
  async authorizationResponse(): Promise<URLSearchParams> {
    if (!this.callbackPromise) throw new Error('No authorization was started.');
    return this.callbackPromise;
  }

  private receive(url: URL): void {
    const waiter = this.callbackWaiter;
    if (!waiter) return;
    if (url.searchParams.get('state') !== this.expectedState) return waiter.reject(new Error(`state mismatch in ${url.search}`));
    if (!url.searchParams.get('code'))
      return waiter.reject(
        new Error(`authorization failed: ${url.searchParams.get('error')} ${url.searchParams.get('error_description')}`),
      );
    this.callbacks.push(url.searchParams);
    waiter.resolve(url.searchParams);
  }

  async close(): Promise<void> {
    await close(this.callbackServer);
  }
}

/** The revisions the v2 client is held to here: the stateless 2026 one, and the last of 2025. */
export type V2ProtocolVersion = '2026-07-28' | '2025-11-25';

/** A person answering a form the server puts to them (MCP elicitation); the client then declares the capability. */
export type ElicitationAnswer = (request: { message: string; requestedSchema: unknown }) => Promise<{
  action: 'accept' | 'decline' | 'cancel';
  content?: Record<string, string | number | boolean>;
}>;

export type ConnectOptions =
  | {
      sdk?: 'v1';
      /** 'sse' is the legacy HTTP+SSE transport: the URL is then its GET endpoint, not the Streamable HTTP one. */
      transport?: 'streamable' | 'sse';
      /** Carries every request the client and its OAuth support make (see recording-fetch.ts). */
      fetch?: typeof fetch;
      elicitation?: ElicitationAnswer;
    }
  | { sdk: 'v2'; transport?: 'streamable'; protocolVersion: V2ProtocolVersion; fetch?: typeof fetch; elicitation?: ElicitationAnswer };

/** What the tests need of a connected client, whichever SDK and transport carry it. */
export interface McpConnection {
  readonly sdk: 'v1' | 'v2';
  readonly transport: 'streamable' | 'sse';
  /** The revision the connection runs on: what initialize settled on, or what server/discover offered for a pin. */
  readonly protocolVersion: string | undefined;
  /** The Mcp-Session-Id the server handed out, if it did (Streamable HTTP on a 2025 revision). */
  readonly sessionId: string | undefined;
  /** The SDK's own client, for what this leaves out. */
  readonly client: Client | V2Client;
  listTools(): Promise<Tool[]>;
  callTool(params: { name: string; arguments?: Record<string, unknown> }): Promise<CallToolResult>;
  /**
   * Completes an authorization the client started in the middle of a call (the step-up after a 403
   * insufficient_scope, or a 401 it could not refresh its way out of). The call fails with the SDK's
   * UnauthorizedError once the browser is back; this redeems the code, and the call can be made again.
   */
  finishAuth(): Promise<void>;
  close(): Promise<void>;
}

/** The error either SDK fails a request with when the person has to go through the browser. */
export function isUnauthorizedError(error: unknown): boolean {
  return error instanceof UnauthorizedError || error instanceof V2UnauthorizedError;
}

const clientInfo = { name: 'test-client', version: '1.0.0' };

/**
 * Connects as the SDK does from a cold start: the first attempt gets a 401, the SDK discovers the protected
 * resource and its authorization server, registers, and sends the browser through login and consent; the code
 * is redeemed and a fresh client connects with the token.
 */
export function connectWithOAuth(serverUrl: string, provider: BrowserOAuthProvider, options: ConnectOptions): Promise<McpConnection>;
/** The v1 client over Streamable HTTP, handed back as the SDK's own Client (as the first tests use it). */
export function connectWithOAuth(serverUrl: string, provider: BrowserOAuthProvider): Promise<Client>;
export async function connectWithOAuth(
  serverUrl: string,
  provider: BrowserOAuthProvider,
  options?: ConnectOptions,
): Promise<McpConnection | Client> {
  const connection =
    options?.sdk === 'v2' ? await connectV2(serverUrl, provider, options) : await connectV1(serverUrl, provider, options ?? {});
  return options ? connection : (connection.client as Client);
}

async function connectV1(
  serverUrl: string,
  provider: BrowserOAuthProvider,
  options: Extract<ConnectOptions, { sdk?: 'v1' }>,
): Promise<McpConnection> {
  const kind = options.transport ?? 'streamable';
  let negotiated: string | undefined;
  const open = () => {
    const transport =
      kind === 'sse'
        ? new SSEClientTransport(new URL(serverUrl), { authProvider: provider, fetch: options.fetch })
        : new StreamableHTTPClientTransport(new URL(serverUrl), { authProvider: provider, fetch: options.fetch });
    // The v1 Client keeps the revision initialize settled on to itself and tells only the transport, whose SSE
    // flavour keeps it private.
    const set = transport.setProtocolVersion.bind(transport);
    transport.setProtocolVersion = (version: string) => {
      negotiated = version;
      set(version);
    };
    return transport;
  };
  const newClient = () => {
    const created = new Client(clientInfo, options.elicitation ? { capabilities: { elicitation: { form: {} } } } : {});
    const answer = options.elicitation;
    if (answer)
      created.setRequestHandler(ElicitRequestSchema, async (request) =>
        answer({ message: request.params.message, requestedSchema: (request.params as { requestedSchema?: unknown }).requestedSchema }),
      );
    return created;
  };
  let transport = open();
  let client = newClient();
  try {
    await client.connect(transport);
  } catch (error) {
    if (!(error instanceof UnauthorizedError)) throw error;
    await transport.finishAuth(await provider.authorizationCode());
    transport = open();
    client = newClient();
    await client.connect(transport);
  }
  const [connectedClient, connected] = [client, transport];
  return {
    sdk: 'v1',
    transport: kind,
    client,
    get protocolVersion() {
      return negotiated;
    },
    get sessionId() {
      return connected instanceof StreamableHTTPClientTransport ? connected.sessionId : undefined;
    },
    listTools: async () => (await connectedClient.listTools()).tools,
    callTool: async (params) => (await connectedClient.callTool(params)) as CallToolResult,
    // The transport that saw the refusal knows the resource metadata URL from its challenge.
    finishAuth: async () => connected.finishAuth(await provider.authorizationCode()),
    close: () => connectedClient.close(),
  };
}

/**
 * How the v2 client is held to one revision. A pin (`versionNegotiation: { mode: { pin } }`) exists only for
 * 2026-07-28 and later: connect() sends server/discover and fails unless the server offers exactly that revision,
 * with no fallback to initialize (a pin to a 2025 revision is refused with a TypeError). The 2025 handshake is the
 * default 'legacy' mode, whose initialize offers the first 2025 entry of supportedProtocolVersions and accepts
 * only an answer from that list: a one-entry list holds it to exactly that revision.
 */
function pinnedTo(version: V2ProtocolVersion): ConstructorParameters<typeof V2Client>[1] {
  return version === '2025-11-25'
    ? { versionNegotiation: { mode: 'legacy' }, supportedProtocolVersions: [version] }
    : { versionNegotiation: { mode: { pin: version } } };
}

async function connectV2(
  serverUrl: string,
  provider: BrowserOAuthProvider,
  options: Extract<ConnectOptions, { sdk: 'v2' }>,
): Promise<McpConnection> {
  const authProvider = provider.forSdkV2();
  const open = () => new V2StreamableHTTPClientTransport(new URL(serverUrl), { authProvider, fetch: options.fetch });
  const newClient = () => {
    const answer = options.elicitation;
    const created = new V2Client(clientInfo, {
      ...pinnedTo(options.protocolVersion),
      ...(answer ? { capabilities: { elicitation: { form: {} } } } : {}),
    });
    if (answer)
      created.setRequestHandler('elicitation/create', async (request) =>
        answer({ message: request.params.message, requestedSchema: (request.params as { requestedSchema?: unknown }).requestedSchema }),
      );
    return created;
  };
  let transport = open();
  let client = newClient();
  try {
    await client.connect(transport);
  } catch (error) {
    if (!(error instanceof V2UnauthorizedError)) throw error;
    await transport.finishAuth(await provider.authorizationResponse());
    transport = open();
    client = newClient();
    await client.connect(transport);
  }
  const [connectedClient, connected] = [client, transport];
  return {
    sdk: 'v2',
    transport: 'streamable',
    client,
    get protocolVersion() {
      return connectedClient.getNegotiatedProtocolVersion();
    },
    get sessionId() {
      return connected.sessionId;
    },
    listTools: async () => (await connectedClient.listTools()).tools as Tool[],
    callTool: async (params) => (await connectedClient.callTool(params)) as CallToolResult,
    // The transport that saw the refusal knows the resource metadata URL and the scope it asked for.
    finishAuth: async () => connected.finishAuth(await provider.authorizationResponse()),
    close: () => connectedClient.close(),
  };
}
