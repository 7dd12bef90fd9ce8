// A real OpenID provider (npm oidc-provider 9) on a loopback port: the stand-in for Nextcloud's `oidc` app or
// Keycloak when tests need an external identity provider. Tokens come from its own endpoints, obtained the way
// an MCP client obtains them: authorization code with PKCE, through the provider's (development) login and
// consent forms, driven over HTTP with a small cookie jar.
import http from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
import { close, listen } from './http-server.js';

export interface ResourceServer {
  /** 'jwt': RFC 9068 access tokens (`at+jwt`, `aud` = the resource); 'opaque': checked by introspection only. */
  format: 'jwt' | 'opaque';
  /** Scopes the provider lets clients ask for at this resource. */
  scope: string;
  ttlSeconds?: number;
}

export interface TestIdpOptions {
  resources: Record<string, ResourceServer>;
  /** Account id -> extra claims its access tokens carry (e.g. preferred_username). */
  accounts: Record<string, Record<string, unknown>>;
}

export interface TokenResponse {
  access_token: string;
  id_token?: string;
  token_type: string;
  expires_in: number;
  scope?: string;
}

export interface TestIdp {
  issuer: string;
  /** The MCP client's (public) client id. */
  clientId: string;
  /** A confidential client that may call the introspection endpoint. */
  introspectionClient: { endpoint: string; clientId: string; clientSecret: string };
  /** The key id of the provider's signing key. */
  kid: string;
  /** Signs `account` in through the provider's forms and exchanges the code; answers the token response. */
  login(account: string, request: { resource: string; scope: string }): Promise<TokenResponse>;
  /** Revokes a token as the client that holds it. */
  revoke(token: string): Promise<void>;
  close(): Promise<void>;
}

const CLIENT_ID = 'mcp-client';
const REDIRECT_URI = 'http://127.0.0.1/callback';

/** The few parts of oidc-provider's API used here (the package ships no type declarations). */
type ProviderClass = new (issuer: string, configuration: Record<string, unknown>) => { callback(): http.RequestListener };

export async function startTestIdp(options: TestIdpOptions): Promise<TestIdp> {
  // A computed specifier keeps TypeScript from looking for declarations the package does not have.
  const { default: Provider } = (await import('oidc-provider' as string)) as { default: ProviderClass };
  const server = http.createServer();
  const issuer = await listen(server);
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = `test-${randomBytes(4).toString('hex')}`;
  const introspectionClient = {
    endpoint: `${issuer}/token/introspection`,
    clientId: 'mcp-gateway',
    clientSecret: randomBytes(16).toString('hex'),
  };

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        token_endpoint_auth_method: 'none',
        application_type: 'native',
        redirect_uris: [REDIRECT_URI],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
      {
        client_id: introspectionClient.clientId,
        client_secret: introspectionClient.clientSecret,
        token_endpoint_auth_method: 'client_secret_basic',
        redirect_uris: [],
        grant_types: [],
        response_types: [],
      },
    ],
    jwks: { keys: [{ ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' }] },
    cookies: { keys: [randomBytes(16).toString('hex')] },
    // Explicit lifetimes (also keeps the provider from printing a notice for each default it falls back to).
    ttl: {
      AccessToken: (_ctx: unknown, token: { resourceServer?: { accessTokenTTL?: number } }) => token.resourceServer?.accessTokenTTL ?? 600,
      Grant: 3600,
      IdToken: 3600,
      Interaction: 600,
      Session: 3600,
    },
    findAccount: (_ctx: unknown, accountId: string) =>
      accountId in options.accounts ? { accountId, claims: () => ({ sub: accountId }) } : undefined,
    // What the resource server needs to know about the user travels in the access token (and introspection answer).
    extraTokenClaims: (_ctx: unknown, token: { accountId?: string }) => (token.accountId ? options.accounts[token.accountId] : undefined),
    features: {
      devInteractions: { enabled: true },
      // Only the confidential gateway client may introspect (a real provider would restrict it likewise).
      introspection: {
        enabled: true,
        allowedPolicy: (_ctx: unknown, client: { clientId: string }) => client.clientId === introspectionClient.clientId,
      },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        getResourceServerInfo: (_ctx: unknown, indicator: string) => {
          const resource = options.resources[indicator];
          if (!resource) throw new Error(`unknown resource ${indicator}`);
          return {
            audience: indicator,
            scope: resource.scope,
            accessTokenFormat: resource.format,
            accessTokenTTL: resource.ttlSeconds ?? 600,
          };
        },
      },
    },
  });
  server.on('request', provider.callback());

  return {
    issuer,
    clientId: CLIENT_ID,
    introspectionClient,
    kid,
    login: (account, request) => authorizationCodeFlow(issuer, account, request),
    async revoke(token) {
      const response = await fetch(`${issuer}/token/revocation`, {
        method: 'POST',
        body: new URLSearchParams({ token, client_id: CLIENT_ID }),
      });
      if (!response.ok) throw new Error(`revocation failed: HTTP ${response.status} ${await response.text()}`);
    },
    close: () => close(server),
  };
}

/** Keeps the provider's session and interaction cookies across requests (path and expiry do not matter here). */
class CookieJar {
  private readonly cookies = new Map<string, string>();

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(url, { ...init, redirect: 'manual', headers: { ...(cookie ? { cookie } : {}) } });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const separator = pair.indexOf('=');
      const name = pair.slice(0, separator).trim();
      const value = pair.slice(separator + 1).trim();
      if (value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }
}

async function authorizationCodeFlow(
  issuer: string,
  account: string,
  request: { resource: string; scope: string },
): Promise<TokenResponse> {
  const jar = new CookieJar();
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(8).toString('hex');
  const authorize = new URL(`${issuer}/auth`);
  authorize.search = new URLSearchParams({
    client_id: CLIENT_ID,
    response_type: 'code',
    redirect_uri: REDIRECT_URI,
    scope: `openid ${request.scope}`,
    resource: request.resource,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    state,
    nonce: randomBytes(8).toString('hex'),
  }).toString();

  let response = await jar.fetch(authorize.href);
  let code: string | null = null;
  for (let step = 0; step < 12 && code === null; step++) {
    const location = response.headers.get('location');
    if (location) {
      const target = new URL(location, issuer);
      if (target.href.startsWith(REDIRECT_URI)) {
        if (target.searchParams.get('state') !== state) throw new Error(`authorization failed: ${target.search}`);
        code = target.searchParams.get('code');
        if (!code) throw new Error(`authorization failed: ${target.search}`);
      } else {
        response = await jar.fetch(target.href);
      }
      continue;
    }
    const html = await response.text();
    const action = /<form[^>]* action="([^"]+)"/.exec(html)?.[1];
    const prompt = /name="prompt" value="([^"]+)"/.exec(html)?.[1];
    if (response.status !== 200 || !action || !prompt)
      throw new Error(`unexpected answer from the provider (HTTP ${response.status}): ${html.slice(0, 500)}`);
    // The development login form takes any password; consent is a single "Continue" button.
    const form: Record<string, string> = prompt === 'login' ? { prompt, login: account, password: 'any' } : { prompt };
    response = await jar.fetch(new URL(action, issuer).href, { method: 'POST', body: new URLSearchParams(form) });
  }
  if (code === null) throw new Error('the authorization flow did not end at the redirect URI');

  const token = await fetch(`${issuer}/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
      client_id: CLIENT_ID,
      resource: request.resource,
    }),
  });
  const body = (await token.json()) as TokenResponse & { error?: string; error_description?: string };
  if (!token.ok) throw new Error(`token request failed: ${body.error}: ${body.error_description}`);
  return body;
}
