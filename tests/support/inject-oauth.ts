// The OAuth flow driven through `inject` against an in-process app: register, authorize as a signed-in user,
// consent, exchange the code. What a client ends up with is a real token of this app, for tests that need one
// quickly without a proxy or a browser.
import { createHash, randomBytes } from 'node:crypto';
import type { InProcessApp } from './in-process-app.js';

export const injectRedirectUri = 'http://127.0.0.1:4999/callback';

export interface InjectedGrant {
  clientId: string;
  accessToken: string;
  refreshToken: string | undefined;
}

const decode = (value: string) => value.replaceAll('&amp;', '&').replaceAll('&quot;', '"').replaceAll('&#39;', "'");

function field(page: string, name: string): string {
  const match = new RegExp(`name="${name}" value="([^"]*)"`).exec(page);
  if (!match) throw new Error(`no ${name} field in:\n${page}`);
  return decode(match[1]!);
}

/**
 * A token for `user` with `scope`, as a client that registered dynamically gets it; throws on any unexpected answer.
 * `path` is the MCP URL the token is for (each is its own resource).
 */
export async function injectToken(
  target: InProcessApp,
  user: string,
  scope: string,
  options: { path?: 'mcp' | 'sse'; headers?: Record<string, string> } = {},
): Promise<InjectedGrant> {
  const { app, appApi } = target;
  const extraHeaders = options.headers ?? {};
  const registered = await app.inject({
    method: 'POST',
    url: '/oauth/register',
    headers: { ...appApi(''), ...extraHeaders, 'content-type': 'application/json' },
    payload: {
      client_name: 'Injected test client',
      redirect_uris: [injectRedirectUri],
      grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: 'none',
    },
  });
  if (registered.statusCode !== 201) throw new Error(`registration answered ${registered.statusCode}: ${registered.body}`);
  const clientId = (registered.json() as { client_id: string }).client_id;
  const verifier = randomBytes(32).toString('base64url');
  const query = new URLSearchParams({
    client_id: clientId,
    redirect_uri: injectRedirectUri,
    response_type: 'code',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    scope,
    state: 'injected',
    resource: `${target.config.publicBaseUrl}/${options.path ?? 'mcp'}`,
  });
  const consent = await app.inject({ method: 'GET', url: `/oauth/authorize?${query}`, headers: { ...appApi(user), ...extraHeaders } });
  if (consent.statusCode !== 200) throw new Error(`authorize answered ${consent.statusCode}: ${consent.body}`);
  const form = new URLSearchParams({
    pending: field(consent.body, 'pending'),
    form_token: field(consent.body, 'form_token'),
    decision: 'approve',
  });
  for (const match of consent.body.matchAll(/name="scope" value="([^"]+)"/g)) form.append('scope', match[1]!);
  const approved = await app.inject({
    method: 'POST',
    url: '/oauth/authorize',
    headers: { ...appApi(user), ...extraHeaders, 'content-type': 'application/x-www-form-urlencoded' },
    payload: form.toString(),
  });
  const back = /content="0;url=([^"]+)"/.exec(approved.body);
  if (!back) throw new Error(`consent answered ${approved.statusCode} without a redirect: ${approved.body}`);
  const code = new URL(decode(back[1]!)).searchParams.get('code');
  if (!code) throw new Error(`consent returned no code: ${back[1]}`);
  const tokens = await app.inject({
    method: 'POST',
    url: '/oauth/token',
    headers: { ...appApi(''), ...extraHeaders, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      redirect_uri: injectRedirectUri,
      client_id: clientId,
    }).toString(),
  });
  if (tokens.statusCode !== 200) throw new Error(`token answered ${tokens.statusCode}: ${tokens.body}`);
  const body = tokens.json() as { access_token: string; refresh_token?: string };
  return { clientId, accessToken: body.access_token, refreshToken: body.refresh_token };
}
