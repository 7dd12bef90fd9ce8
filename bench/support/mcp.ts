// A minimal MCP client that talks to the app directly, signed the way AppAPI signs what it forwards, so the
// figures hold the app's own work and not that of a proxy in front of it.
import { createHash, randomBytes } from 'node:crypto';

/** Whom the bench acts as, and what its grant allows: every tool it calls. */
export const USER = 'alice';
export const SCOPE = 'files.read calendar.read talk.read contacts.read tasks.read notes.read deck.read';

export interface DirectApp {
  /** http://127.0.0.1:<port> of the app itself. */
  url: string;
  appId: string;
  version: string;
  secret: string;
}

/**
 * The headers Nextcloud's PHP proxy adds: AppAPI's signature for `user` ('' for nobody) and X-Origin-IP, which
 * makes the app answer every MCP request in one JSON body, as it does behind that proxy.
 */
export function appApiHeaders(app: DirectApp, user: string): Record<string, string> {
  return {
    'ex-app-id': app.appId,
    'ex-app-version': app.version,
    'authorization-app-api': Buffer.from(`${user}:${app.secret}`).toString('base64'),
    'aa-version': '35.0.0',
    'x-origin-ip': '127.0.0.1',
  };
}

const decode = (value: string) => value.replaceAll('&amp;', '&').replaceAll('&quot;', '"').replaceAll('&#39;', "'");

function field(page: string, name: string): string {
  const match = new RegExp(`name="${name}" value="([^"]*)"`).exec(page);
  if (!match) throw new Error(`no ${name} field in the consent page:\n${page.slice(0, 2000)}`);
  return decode(match[1]!);
}

/** An access token for `user` with `scope`, through registration, consent and the code exchange (no shortcuts). */
export async function accessToken(app: DirectApp, user: string, scope: string): Promise<string> {
  const redirectUri = 'http://127.0.0.1:4999/callback';
  const anonymous = appApiHeaders(app, '');
  const registered = await fetch(`${app.url}/oauth/register`, {
    method: 'POST',
    headers: { ...anonymous, 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: 'bench',
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'none',
    }),
  });
  if (registered.status !== 201) throw new Error(`registration answered ${registered.status}: ${await registered.text()}`);
  const clientId = ((await registered.json()) as { client_id: string }).client_id;
  const verifier = randomBytes(32).toString('base64url');
  const query = new URLSearchParams({
    client_id: clientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    scope,
    state: 'bench',
  });
  const signedIn = appApiHeaders(app, user);
  const consent = await (await fetch(`${app.url}/oauth/authorize?${query}`, { headers: signedIn })).text();
  const form = new URLSearchParams({ pending: field(consent, 'pending'), form_token: field(consent, 'form_token'), decision: 'approve' });
  for (const match of consent.matchAll(/name="scope" value="([^"]+)"/g)) form.append('scope', match[1]!);
  const approved = await (
    await fetch(`${app.url}/oauth/authorize`, {
      method: 'POST',
      headers: { ...signedIn, 'content-type': 'application/x-www-form-urlencoded' },
      body: form,
    })
  ).text();
  const back = /content="0;url=([^"]+)"/.exec(approved);
  if (!back) throw new Error(`consent gave no redirect: ${approved.slice(0, 2000)}`);
  const code = new URL(decode(back[1]!)).searchParams.get('code');
  if (!code) throw new Error(`consent returned no code: ${back[1]}`);
  const tokens = await fetch(`${app.url}/oauth/token`, {
    method: 'POST',
    headers: { ...anonymous, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      redirect_uri: redirectUri,
      client_id: clientId,
    }),
  });
  if (tokens.status !== 200) throw new Error(`token endpoint answered ${tokens.status}: ${await tokens.text()}`);
  return ((await tokens.json()) as { access_token: string }).access_token;
}

export interface ToolAnswer {
  structuredContent?: Record<string, unknown>;
  content?: Array<{ type: string; text?: string }>;
  isError?: boolean;
}

/** One MCP session (protocol 2025-06-18) with the app, in JSON answer mode. */
export interface McpSession {
  /** Calls a tool and answers its result; throws on an HTTP, JSON-RPC or tool error. */
  call(name: string, args?: Record<string, unknown>): Promise<ToolAnswer>;
  /** The request `call` sends, for callers that time the bare exchange. */
  request(name: string, args?: Record<string, unknown>): { url: string; init: RequestInit };
  close(): Promise<void>;
}

export async function openSession(app: DirectApp, user: string, token: string): Promise<McpSession> {
  const base = {
    ...appApiHeaders(app, user),
    authorization: `Bearer ${token}`,
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': '2025-06-18',
  };
  const init = await fetch(`${app.url}/mcp`, {
    method: 'POST',
    headers: base,
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } },
    }),
  });
  const sessionId = init.headers.get('mcp-session-id');
  const initBody = await init.text();
  if (!init.ok || !sessionId) throw new Error(`initialize answered ${init.status}: ${initBody}`);
  const headers = { ...base, 'mcp-session-id': sessionId };
  const initialized = await fetch(`${app.url}/mcp`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  });
  await initialized.arrayBuffer();
  let id = 0;
  const request = (name: string, args: Record<string, unknown> = {}) => ({
    url: `${app.url}/mcp`,
    init: {
      method: 'POST',
      headers,
      body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method: 'tools/call', params: { name, arguments: args } }),
    },
  });
  return {
    request,
    async call(name, args = {}) {
      const { url, init: options } = request(name, args);
      const response = await fetch(url, options);
      const text = await response.text();
      if (!response.ok) throw new Error(`${name}: HTTP ${response.status}: ${text.slice(0, 500)}`);
      const answer = JSON.parse(text) as { result?: ToolAnswer; error?: { message: string } };
      if (answer.error || !answer.result) throw new Error(`${name}: ${answer.error?.message ?? text.slice(0, 500)}`);
      if (answer.result.isError) throw new Error(`${name} failed: ${JSON.stringify(answer.result.content).slice(0, 500)}`);
      return answer.result;
    },
    async close() {
      const response = await fetch(`${app.url}/mcp`, { method: 'DELETE', headers });
      await response.arrayBuffer();
    },
  };
}
