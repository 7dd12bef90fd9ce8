// The OAuth flow driven with plain HTTP and the simulator's sessions, the way a client and a person's browser
// would drive it, for tests that need many grants quickly (the SDK-and-browser path has its own tests).
import { createHash, randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { Deployment } from './deployment.js';

export const redirectUri = 'http://127.0.0.1:4999/callback';

export interface Flow {
  clientId: string;
  verifier: string;
  code: string;
}

/** `deployment` is read on each call, so the helpers can be created before the deployment starts. */
export function rawOAuth(deployment: () => Deployment) {
  const decode = (value: string) =>
    value.replaceAll('&amp;', '&').replaceAll('&quot;', '"').replaceAll('&#39;', "'").replaceAll('&lt;', '<').replaceAll('&gt;', '>');

  /** Where a navigation page sends the browser (the meta refresh), or null for a page that stays. */
  function navigationTarget(page: string): string | null {
    const match = /<meta http-equiv="refresh" content="0;url=([^"]+)">/.exec(page);
    return match ? decode(match[1]!) : null;
  }

  /** The link an error page offers back to the client (never followed by itself), or null. */
  function returnLink(page: string): string | null {
    const match = /<a id="return" href="([^"]+)"/.exec(page);
    return match ? decode(match[1]!) : null;
  }

  function field(page: string, name: string): string {
    const match = new RegExp(`name="${name}" value="([^"]*)"`).exec(page);
    if (!match) throw new Error(`no ${name} field in:\n${page}`);
    return decode(match[1]!);
  }

  function pkce() {
    const verifier = randomBytes(32).toString('base64url');
    return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
  }

  async function register(metadata: Record<string, unknown> = {}): Promise<{ status: number; body: Record<string, string> }> {
    const response = await fetch(deployment().url('oauth/register'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'Raw HTTP test client',
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code', 'refresh_token'],
        token_endpoint_auth_method: 'none',
        ...metadata,
      }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, string> };
  }

  async function authorizePage(params: Record<string, string | undefined>, user?: string): Promise<{ status: number; page: string }> {
    const query = new URLSearchParams(Object.entries(params).filter((entry): entry is [string, string] => entry[1] !== undefined));
    const response = await fetch(`${deployment().url('oauth/authorize')}?${query}`, {
      headers: user ? { cookie: deployment().sim.sessionCookie(user) } : {},
    });
    return { status: response.status, page: await response.text() };
  }

  async function submitConsent(
    page: string,
    user: string,
    overrides: Record<string, string | string[]> = {},
  ): Promise<{ status: number; page: string }> {
    const form = new URLSearchParams({ pending: field(page, 'pending'), form_token: field(page, 'form_token'), decision: 'approve' });
    for (const scope of [...page.matchAll(/name="scope" value="([^"]+)"/g)].map((match) => match[1]!)) form.append('scope', scope);
    for (const [key, value] of Object.entries(overrides)) {
      form.delete(key);
      for (const item of Array.isArray(value) ? value : [value]) form.append(key, item);
    }
    const response = await fetch(deployment().url('oauth/authorize'), {
      method: 'POST',
      headers: { cookie: deployment().sim.sessionCookie(user), 'content-type': 'application/x-www-form-urlencoded' },
      body: form,
    });
    return { status: response.status, page: await response.text() };
  }

  /** Register, authorize as `user`, consent: the code the client would receive. */
  /** A code from the whole authorization as `user`, for a client registered here unless `clientId` names one. */
  async function obtainCode(
    user = 'alice',
    scope = 'files.read talk.read',
    resource = deployment().connector,
    clientId?: string,
  ): Promise<Flow> {
    const client = clientId ? { body: { client_id: clientId } } : await register();
    const { verifier, challenge } = pkce();
    const state = randomBytes(8).toString('hex');
    const consent = await authorizePage(
      {
        client_id: client.body.client_id,
        redirect_uri: redirectUri,
        response_type: 'code',
        code_challenge: challenge,
        code_challenge_method: 'S256',
        scope,
        state,
        resource,
      },
      user,
    );
    expect(consent.status).toBe(200);
    const back = navigationTarget((await submitConsent(consent.page, user)).page);
    const url = new URL(back!);
    expect(url.searchParams.get('state')).toBe(state);
    expect(url.searchParams.get('iss')).toBe(deployment().base);
    return { clientId: client.body.client_id!, verifier, code: url.searchParams.get('code')! };
  }

  /** Every code and token handed out, to prove none of them reaches the log. */
  const issued = new Set<string>();

  async function token(params: Record<string, string>): Promise<{ status: number; body: Record<string, string> }> {
    const response = await fetch(deployment().url('oauth/token'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(params),
    });
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = (await response.json()) as Record<string, string>;
    for (const key of ['access_token', 'refresh_token'] as const) if (body[key]) issued.add(body[key]);
    if (params.code) issued.add(params.code);
    return { status: response.status, body };
  }

  async function exchange(flow: Flow, extra: Record<string, string> = {}) {
    return token({
      grant_type: 'authorization_code',
      code: flow.code,
      code_verifier: flow.verifier,
      redirect_uri: redirectUri,
      client_id: flow.clientId,
      resource: deployment().connector,
      ...extra,
    });
  }

  async function mcp(accessToken: string | undefined): Promise<Response> {
    return fetch(deployment().connector, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}),
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
      }),
    });
  }

  return { navigationTarget, returnLink, field, pkce, register, authorizePage, submitConsent, obtainCode, token, exchange, mcp, issued };
}
