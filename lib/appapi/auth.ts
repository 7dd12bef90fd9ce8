// The incoming half of AppAPI: whether a request really comes from Nextcloud (PHP proxy, HaRP or AppAPI itself).
// AppAPI signs nothing but a shared secret, so this check is the only gate in front of an ExApp. Framework-neutral:
// it reads Node's header object and decides; the caller answers.
import { hash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export interface AppApiCaller {
  /** The Nextcloud user the request acts for; '' for AppAPI's own system calls and anonymous visitors. */
  userId: string;
  /** The version AppAPI has registered (it may differ from the running one during an update). */
  registeredVersion: string;
}

export type AppApiAuthFailure = { code: 'missing_headers' | 'wrong_app' | 'bad_authorization' | 'wrong_secret'; message: string };

export interface AppApiExpectation {
  appId: string;
  appSecret: string;
}

/**
 * Checks EX-APP-ID, EX-APP-VERSION and AUTHORIZATION-APP-API (base64 "user:secret"). AA-VERSION is not checked:
 * HaRP always sends 32, whatever AppAPI's version.
 */
export function verifyAppApiHeaders(headers: IncomingHttpHeaders, expected: AppApiExpectation): AppApiCaller | AppApiAuthFailure {
  const appId = headers['ex-app-id'];
  const version = headers['ex-app-version'];
  const authorization = headers['authorization-app-api'];
  if (
    typeof appId !== 'string' ||
    !appId ||
    typeof version !== 'string' ||
    !version ||
    typeof authorization !== 'string' ||
    !authorization
  ) {
    return {
      code: 'missing_headers',
      message: 'AppAPI authentication failed: EX-APP-ID, EX-APP-VERSION and AUTHORIZATION-APP-API are required',
    };
  }
  // The PHP proxy forwards client-sent EX-APP-ID too, which Node joins with ", ": only an exact match passes.
  if (appId !== expected.appId) {
    return { code: 'wrong_app', message: 'AppAPI authentication failed: EX-APP-ID does not name this app' };
  }
  const decoded = Buffer.from(authorization, 'base64').toString('utf8');
  const separator = decoded.indexOf(':');
  if (separator === -1) {
    return { code: 'bad_authorization', message: 'AppAPI authentication failed: AUTHORIZATION-APP-API is not base64("user:secret")' };
  }
  if (!secretsEqual(decoded.slice(separator + 1), expected.appSecret)) {
    return { code: 'wrong_secret', message: 'AppAPI authentication failed: the app secret does not match' };
  }
  return { userId: decoded.slice(0, separator), registeredVersion: version };
}

/**
 * Constant-time comparison of secrets. Hashing both sides makes the lengths equal without leaking the secret's; the
 * expected secret's hash is kept, as the app secret is asked for on every request.
 */
export function secretsEqual(given: string, secret: string): boolean {
  if (secret !== secretHashed.secret) secretHashed = { secret, hash: hash('sha256', secret, 'buffer') };
  return timingSafeEqual(hash('sha256', given, 'buffer'), secretHashed.hash);
}
let secretHashed: { secret: string | undefined; hash: Buffer } = { secret: undefined, hash: Buffer.alloc(0) };

/** The user AppAPI sends in its own Basic credentials to a remote Docker Socket Proxy (HAProxy). */
export const DSP_HAPROXY_USER = 'app_api_haproxy_user';

/**
 * Behind a remote Docker Socket Proxy over https, AppAPI moves the client's Authorization into
 * X-Original-Authorization and sends the proxy's Basic credentials in Authorization. Once the AppAPI headers
 * proved the request came through Nextcloud, the client's own header is put back where the routes read it, and
 * the proxy's credentials never reach them. Without the proxy's credentials, X-Original-Authorization is whatever
 * a client chose to send, and is dropped.
 */
export function restoreClientAuthorization(headers: IncomingHttpHeaders): void {
  const original = headers['x-original-authorization'];
  delete headers['x-original-authorization'];
  if (!isDockerSocketProxy(headers.authorization)) return;
  if (typeof original === 'string' && original !== '') headers.authorization = original;
  else delete headers.authorization;
}

/** Whether Authorization holds the proxy's Basic credentials (the scheme is case-insensitive, RFC 7617). */
function isDockerSocketProxy(authorization: string | undefined): boolean {
  if (!authorization?.toLowerCase().startsWith('basic ')) return false;
  return Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8').startsWith(`${DSP_HAPROXY_USER}:`);
}
