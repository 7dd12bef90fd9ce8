// Decides who a request is, the way Nextcloud's OC::handleLogin does: AppAPI headers first (tryAppAPILogin),
// then the session cookie, then HTTP Basic. Bearer tokens are not Nextcloud credentials here and are ignored.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { ExApp, SimIdentity, SimState } from './context.js';
import type { Throttler } from './throttle.js';

export const SESSION_COOKIE = 'ocsim_session';
export const PASSPHRASE_COOKIE = 'oc_sessionPassphrase';

export type AppApiVerdict =
  | { ok: true; app: ExApp; userId: string }
  | { ok: false; reason: 'unknown_app' | 'wrong_secret' | 'app_disabled' | 'no_version' | 'unknown_user' | 'malformed' };

export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    const name = part.slice(0, eq).trim();
    if (name && !cookies.has(name)) cookies.set(name, decodeURIComponent(part.slice(eq + 1).trim()));
  }
  return cookies;
}

function header(headers: IncomingHttpHeaders, name: string): string {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : (value ?? '');
}

function equalStrings(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** AppAPIService::validateExAppRequestToNC, including its exemptions for disabled apps. */
export function verifyAppApi(state: SimState, headers: IncomingHttpHeaders, path: string): AppApiVerdict {
  const app = state.apps.get(header(headers, 'ex-app-id'));
  if (!app) return { ok: false, reason: 'unknown_app' };
  const decoded = Buffer.from(header(headers, 'authorization-app-api'), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return { ok: false, reason: 'malformed' };
  if (!equalStrings(decoded.slice(colon + 1), app.secret)) return { ok: false, reason: 'wrong_secret' };
  if (!app.enabled) {
    const exempt =
      /\/apps\/app_api\/ex-app\/state$/.test(path) ||
      (/\/apps\/app_api\/ex-app\/status$/.test(path) && (app.status.type === 'install' || app.status.type === 'update'));
    if (!exempt) return { ok: false, reason: 'app_disabled' };
  }
  if (!header(headers, 'ex-app-version')) return { ok: false, reason: 'no_version' };
  const userId = decoded.slice(0, colon);
  if (userId && !state.users.has(userId)) return { ok: false, reason: 'unknown_user' };
  return { ok: true, app, userId };
}

export interface ResolvedIdentity extends SimIdentity {
  /** Present when AppAPI headers were sent but failed validation. */
  appApiFailure: string | null;
}

export function resolveIdentity(
  state: SimState,
  headers: IncomingHttpHeaders,
  path: string,
  ip: string,
  throttler: Throttler,
): ResolvedIdentity {
  const anonymous: ResolvedIdentity = { user: null, via: null, appId: null, disabledUser: false, appApiFailure: null };
  if (headers['authorization-app-api'] !== undefined) {
    const verdict = verifyAppApi(state, headers, path);
    if (!verdict.ok) {
      throttler.registerAttempt(ip, 'app_api');
      return { ...anonymous, appApiFailure: verdict.reason };
    }
    if (!verdict.userId) return { ...anonymous, appId: verdict.app.id, via: 'appapi' };
    const user = state.users.get(verdict.userId) ?? null;
    state.impersonationLog.push({ appId: verdict.app.id, userId: verdict.userId, method: '', url: path });
    // Like a rotated log file: a long demo must not grow without bound.
    if (state.impersonationLog.length > 1000) state.impersonationLog.splice(0, state.impersonationLog.length - 1000);
    // AppAPI only checks that the user exists; Session::isLoggedIn() then refuses a disabled one.
    if (user && !user.enabled) return { ...anonymous, appId: verdict.app.id, via: 'appapi', disabledUser: true };
    return { user, via: 'appapi', appId: verdict.app.id, disabledUser: false, appApiFailure: null };
  }
  const cookies = parseCookies(header(headers, 'cookie'));
  const session = state.sessions.get(cookies.get(SESSION_COOKIE) ?? '');
  if (session && cookies.get(PASSPHRASE_COOKIE) === session.passphrase) {
    const user = state.users.get(session.userId);
    if (user?.enabled) return { ...anonymous, user, via: 'session' };
  }
  const authorization = header(headers, 'authorization');
  if (authorization.toLowerCase().startsWith('basic ')) {
    const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const user = state.users.get(decoded.slice(0, colon));
    if (colon > 0 && user && equalStrings(decoded.slice(colon + 1), user.password)) {
      if (user.enabled) return { ...anonymous, user, via: 'basic' };
    } else {
      throttler.registerAttempt(ip, 'login');
    }
  }
  return anonymous;
}
