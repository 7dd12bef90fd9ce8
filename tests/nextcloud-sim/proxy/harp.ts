// HaRP's ExApp router at /exapps/{appId}/{path}: route check without verbs, 403 instead of 404 for missing
// rights, a per-IP blacklist that silently drops connections, and requests/responses passed through unchanged
// but for the four headers HaRP sets. A request carrying all of AppAPI's headers is AppAPI's own: its shared key
// is checked, and nothing else.
import type http from 'node:http';
import type { ExApp, SimContext } from '../context.js';
import type { ResolvedIdentity } from '../identity.js';
import { PASSPHRASE_COOKIE, parseCookies } from '../identity.js';
import { isAdmin } from '../state.js';
import { hasDotDotSegment, matchHarpRoute } from './routes-table.js';
import { isAppApiSigned, requestExApp, sameHarpKey } from './upstream.js';

export const HARP_PATTERN = /^\/exapps\/([^/?]+)(\/[^?]*)?(\?.*)?$/;
const LIFECYCLE_PATHS = new Set(['/heartbeat', '/init', '/enabled']);
/** HaRP's hard-coded AA-VERSION on the browser path. */
const HARP_AA_VERSION = '32';

export class HarpBlacklist {
  private readonly failures = new Map<string, number[]>();
  constructor(
    private readonly count = 10,
    private readonly windowMs = 300_000,
  ) {}
  fail(ip: string): void {
    this.failures.set(ip, [...this.recent(ip), Date.now()]);
  }
  banned(ip: string): boolean {
    return this.recent(ip).length >= this.count;
  }
  /** Failures recorded for this IP within the window. */
  failuresFor(ip: string): number {
    return this.recent(ip).length;
  }
  reset(ip: string): void {
    this.failures.delete(ip);
  }
  private recent(ip: string): number[] {
    const cutoff = Date.now() - this.windowMs;
    return (this.failures.get(ip) ?? []).filter((time) => time > cutoff);
  }
}

export interface HarpDeps {
  ctx: SimContext;
  blacklist: HarpBlacklist;
  /**
   * HaRP's user lookup (GET /index.php/apps/app_api/harp/user-info with the request's headers): Nextcloud runs
   * its login there, so a failed Basic login is registered and answered 401, which HaRP takes as "no user".
   * Called only where HaRP asks; a resolved identity is accepted too.
   */
  identity: ResolvedIdentity | (() => ResolvedIdentity);
  clientIp: string;
}

export async function handleHarp(request: http.IncomingMessage, response: http.ServerResponse, deps: HarpDeps): Promise<void> {
  const { ctx, blacklist, clientIp } = deps;
  const drop = () => {
    blacklist.fail(clientIp);
    request.socket.destroy();
  };
  if (blacklist.banned(clientIp)) {
    request.socket.destroy();
    return;
  }
  const match = HARP_PATTERN.exec(request.url ?? '');
  if (!match) return plain(response, 404, '404 Not Found');
  const appId = decodeURIComponent(match[1]!);
  const targetPath = match[2] || '/';
  if (hasDotDotSegment(targetPath)) return drop();
  const app = ctx.state.apps.get(appId);
  if (isAppApiSigned(request.headers)) {
    // A wrong key is a silent drop and an IP failure. The simulator's HaRP knows the key of the app's daemon only.
    if (!app?.harpSigning || !sameHarpKey(request.headers['harp-shared-key'], app.harpSigning.sharedKey)) return drop();
    // Signed requests skip the route check and the user lookup; lifecycle paths are theirs.
    const signedAuthorization = request.headers['authorization-app-api'] as string;
    return forward(request, response, app, { targetPath, query: match[3] ?? '', authorization: signedAuthorization, bruteforce: [] }, deps);
  }
  if (!app || !app.enabled) {
    blacklist.fail(clientIp);
    return plain(response, 404, '404 Not Found');
  }
  if (LIFECYCLE_PATHS.has(targetPath)) return drop();
  // HaRP asks Nextcloud who this is, before looking at the routes, whenever a session cookie or an
  // Authorization header is present.
  const cookies = parseCookies(request.headers.cookie);
  const lookedUp = cookies.has(PASSPHRASE_COOKIE) || request.headers.authorization !== undefined;
  const identity = lookedUp ? (typeof deps.identity === 'function' ? deps.identity() : deps.identity) : null;
  // A 4xx from user-info (a failed login is 401) means no user: the request goes on anonymously.
  const user = identity && !identity.loginFailure ? identity.user : null;
  const level = !user ? 0 : isAdmin(user) ? 2 : 1;
  const route = matchHarpRoute(app.routes, targetPath);
  if (!route) {
    blacklist.fail(clientIp);
    return plain(response, 404, '404 Not Found');
  }
  if (route.access_level !== 0 && !(level > 0 && route.access_level <= level)) {
    blacklist.fail(clientIp);
    return plain(response, 403, '403 Forbidden');
  }

  const authorization = Buffer.from(`${user?.id ?? ''}:${app.secret}`).toString('base64');
  return forward(
    request,
    response,
    app,
    { targetPath, query: match[3] ?? '', authorization, bruteforce: route.bruteforce_protection },
    deps,
  );
}

/**
 * The ex_apps backends of haproxy.cfg: every header the request came with goes on (a client's X-Origin-IP and
 * harp-shared-key included), but for the four set here.
 */
async function forward(
  request: http.IncomingMessage,
  response: http.ServerResponse,
  app: ExApp,
  target: { targetPath: string; query: string; authorization: string; bruteforce: number[] },
  { blacklist, clientIp }: HarpDeps,
): Promise<void> {
  const headers: http.OutgoingHttpHeaders = { ...request.headers };
  headers['ex-app-id'] = app.id;
  headers['ex-app-version'] = app.version;
  headers['authorization-app-api'] = target.authorization;
  headers['aa-version'] = HARP_AA_VERSION;
  let upstream: http.IncomingMessage;
  try {
    upstream = await requestExApp(app, {
      method: request.method ?? 'GET',
      path: `${target.targetPath}${target.query}`,
      headers,
      body: request,
    });
  } catch {
    return plain(response, 503, '503 Service Unavailable');
  }
  const status = upstream.statusCode ?? 502;
  if (target.bruteforce.includes(status)) blacklist.fail(clientIp);
  response.writeHead(status, upstream.rawHeaders);
  response.flushHeaders();
  upstream.pipe(response);
  response.on('close', () => upstream.destroy());
}

function plain(response: http.ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'text/plain' }).end(text);
}
