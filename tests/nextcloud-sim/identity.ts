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
export function verifyAppApi(
  state: SimState,
  headers: IncomingHttpHeaders,
  path: string,
  statusExemptWhileInitializing = true,
): AppApiVerdict {
  const app = state.apps.get(header(headers, 'ex-app-id'));
  if (!app) return { ok: false, reason: 'unknown_app' };
  const decoded = Buffer.from(header(headers, 'authorization-app-api'), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return { ok: false, reason: 'malformed' };
  if (!equalStrings(decoded.slice(colon + 1), app.secret)) return { ok: false, reason: 'wrong_secret' };
  if (!app.enabled) {
    const exempt =
      /\/apps\/app_api\/ex-app\/state$/.test(path) ||
      (statusExemptWhileInitializing &&
        /\/apps\/app_api\/ex-app\/status$/.test(path) &&
        (app.status.type === 'install' || app.status.type === 'update'));
    if (!exempt) return { ok: false, reason: 'app_disabled' };
  }
  if (!header(headers, 'ex-app-version')) return { ok: false, reason: 'no_version' };
  const userId = decoded.slice(0, colon);
  // IUserManager::get returns null both for an unknown account and for one whose backend cannot be asked.
  if (userId && (!state.users.has(userId) || state.users.get(userId)!.backendDown)) return { ok: false, reason: 'unknown_user' };
  return { ok: true, app, userId };
}

export interface ResolvedIdentity extends SimIdentity {
  /** Present when AppAPI headers were sent but failed validation. */
  appApiFailure: string | null;
}

export interface ResolveOptions {
  /**
   * Whether Nextcloud tries `Authorization: Basic` as a login on this path (OC::handleLogin, reached from
   * index.php routes, OCS and DAV). False where it never runs (status.php, core's /apps/oauth2/api/v1/token).
   */
  tryBasic?: boolean;
  /** From AppAPI 33.0.1 a disabled app may report init progress (appapi/generations.ts). */
  statusExemptWhileInitializing?: boolean;
}

/** The message of the MaxDelayReached the throttler throws once an IP reached its maximum. */
export const MAX_DELAY_MESSAGE = 'Reached maximum delay';

/**
 * The credentials PHP takes from `Authorization: Basic` (OC::handleAuthHeaders / the SAPI): base64 decoded
 * leniently and split at the first colon. A header without a colon yields none, and neither does an empty user
 * or password (Session::tryBasicAuthLogin checks `!empty()`, so "0" counts as empty too).
 */
export function basicCredentials(authorization: string): { login: string; password: string } | null {
  const match = /Basic\s+(.*)$/i.exec(authorization);
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return null;
  const login = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  const phpEmpty = (value: string) => value === '' || value === '0';
  return phpEmpty(login) || phpEmpty(password) ? null : { login, password };
}

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

export function resolveIdentity(
  state: SimState,
  headers: IncomingHttpHeaders,
  path: string,
  ip: string,
  throttler: Throttler,
  options: ResolveOptions = {},
): ResolvedIdentity {
  const anonymous: ResolvedIdentity = { user: null, via: null, appId: null, disabledUser: false, appApiFailure: null, loginFailure: null };
  let appApiFailure: string | null = null;
  // OC::tryAppAPILogin: a failed validation does not end the request; handleLogin goes on with the other methods.
  if (headers['authorization-app-api']) {
    const verdict = verifyAppApi(state, headers, path, options.statusExemptWhileInitializing ?? true);
    if (verdict.ok) {
      if (!verdict.userId) return { ...anonymous, appId: verdict.app.id, via: 'appapi' };
      const user = state.users.get(verdict.userId) ?? null;
      state.impersonationLog.push({ appId: verdict.app.id, userId: verdict.userId, method: '', url: path });
      // Like a rotated log file: a long demo must not grow without bound.
      if (state.impersonationLog.length > 1000) state.impersonationLog.splice(0, state.impersonationLog.length - 1000);
      // AppAPI only checks that the user exists; Session::isLoggedIn() then refuses a disabled one.
      if (user && !user.enabled) return { ...anonymous, appId: verdict.app.id, via: 'appapi', disabledUser: true };
      return { ...anonymous, user, via: 'appapi', appId: verdict.app.id };
    }
    throttler.registerAttempt(ip, 'app_api');
    appApiFailure = verdict.reason;
  }
  const failedAppApi = { ...anonymous, appApiFailure };
  const cookies = parseCookies(header(headers, 'cookie'));
  const session = state.sessions.get(cookies.get(SESSION_COOKIE) ?? '');
  if (session && !session.pendingTwoFactor && cookies.get(PASSPHRASE_COOKIE) === session.passphrase) {
    const user = state.users.get(session.userId);
    // A logged-in session skips handleLogin altogether: Basic is not even looked at.
    if (user?.enabled && !user.backendDown) return { ...failedAppApi, user, via: 'session' };
  }
  if (options.tryBasic === false) return failedAppApi;
  const credentials = basicCredentials(header(headers, 'authorization'));
  if (!credentials) return failedAppApi;
  // Session::logClientIn
  if (throttler.isBlocked(ip, 'login')) return { ...failedAppApi, loginFailure: { status: 429, message: MAX_DELAY_MESSAGE } };
  const byEmail = [...state.users.values()].filter((candidate) => candidate.email === credentials.login);
  const named = state.users.get(credentials.login) ?? (byEmail.length === 1 ? byEmail[0] : undefined);
  // isTwoFactorEnforced() throws PasswordLoginForbiddenException before the password is even checked: no login,
  // no failure, the request goes on anonymously.
  if (named?.twoFactor || (!state.users.has(credentials.login) && byEmail.length > 1)) return failedAppApi;
  const byId = state.users.get(credentials.login);
  let user = byId && !byId.backendDown && equalStrings(credentials.password, byId.password) ? byId : undefined;
  if (
    !user &&
    EMAIL.test(credentials.login) &&
    byEmail.length === 1 &&
    !byEmail[0]!.backendDown &&
    equalStrings(credentials.password, byEmail[0]!.password)
  )
    user = byEmail[0];
  if (!user) {
    throttler.registerAttempt(ip, 'login');
    return { ...failedAppApi, loginFailure: { status: 401, message: '' } };
  }
  // completeLogin: a disabled account throws a LoginException with this message (no throttling).
  if (!user.enabled) return { ...failedAppApi, loginFailure: { status: 401, message: 'Account disabled' } };
  return { ...failedAppApi, user, via: 'basic' };
}
