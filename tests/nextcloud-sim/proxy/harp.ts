// HaRP's ExApp router at /exapps/{appId}/{path}: route check without verbs, 403 instead of 404 for missing
// rights, a per-IP blacklist that silently drops connections, and requests/responses passed through unchanged
// but for the four headers HaRP sets. A request carrying all of AppAPI's headers is AppAPI's own: its shared key
// is checked, and nothing else.
import http from 'node:http';
import type { ExApp, SimContext } from '../context.js';
import { PASSPHRASE_COOKIE, parseCookies } from '../identity.js';
import { hasDotDotSegment, matchHarpRoute } from './routes-table.js';
import { isAppApiSigned, requestExApp, sameHarpKey } from './upstream.js';

export const HARP_PATTERN = /^\/exapps\/([^/?]+)(\/[^?]*)?(\?.*)?$/;
const LIFECYCLE_PATHS = new Set(['/heartbeat', '/init', '/enabled']);
/** HaRP's hard-coded AA-VERSION on the browser path. */
const HARP_AA_VERSION = '32';
/** HaRP's NC_HTTP_TIMEOUT: total 25 s for a request to Nextcloud, so the SPOE's 30 s processing limit is never reached. */
export const HARP_NEXTCLOUD_TIMEOUT_MS = 25_000;
/**
 * The key the simulated HaRP sends for an app that AppAPI did not deploy on a HaRP daemon (apps registered
 * directly): one HaRP serves them all here, so user-info accepts it for those apps.
 */
export const SIM_HARP_KEY = 'simulated-harp-key';
/** Headers HaRP leaves out of its user-info request (EXCLUDE_HEADERS_USER_INFO). */
const NOT_FOR_USER_INFO = new Set(['host', 'content-length']);
/** Connection-level headers that belong to the client's hop; the simulator's HTTP client sets its own. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'expect', 'te', 'trailer']);

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
  clientIp: string;
  /** How long the user lookup may take before HaRP gives up on it (HARP_NEXTCLOUD_TIMEOUT_MS by default). */
  nextcloudTimeoutMs?: number;
}

/** What user-info answers (HaRP's NcUser). */
interface NcUser {
  user_id: string;
  access_level: number;
}

/**
 * HaRP's nc_get_user: GET {NC}/index.php/apps/app_api/harp/user-info?appId=… with the client's headers and the
 * shared key, over HTTP, so a slow, failing or maintenance Nextcloud shows here as it does behind HaRP. Nextcloud
 * runs its login there: a failed Basic login is answered 401, and any 4xx means "no user". Anything else that is
 * not a 2xx with a valid body, a timeout or a connection error throws.
 */
function askNextcloudForUser(
  ctx: SimContext,
  appId: string,
  app: ExApp,
  clientHeaders: http.IncomingHttpHeaders,
  timeoutMs: number,
): Promise<NcUser | null> {
  const headers: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(clientHeaders)) {
    if (!NOT_FOR_USER_INFO.has(name) && !HOP_BY_HOP.has(name) && value !== undefined) headers[name] = value;
  }
  headers['harp-shared-key'] = app.harpSigning?.sharedKey ?? SIM_HARP_KEY;
  const url = new URL('/index.php/apps/app_api/harp/user-info', ctx.baseUrl());
  url.searchParams.set('appId', appId);
  return new Promise<NcUser | null>((resolve, reject) => {
    const request = http.get(url, { headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        const status = response.statusCode ?? 500;
        if (Math.floor(status / 100) === 4) return resolve(null);
        if (status < 200 || status >= 300) return reject(new Error(`user-info answered ${status}`));
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Partial<NcUser>;
          if (typeof body.user_id !== 'string' || !Number.isInteger(body.access_level)) throw new Error('invalid user info');
          resolve({ user_id: body.user_id, access_level: body.access_level! });
        } catch (error) {
          reject(error as Error);
        }
      });
    });
    // aiohttp's total timeout: from the start of the request to the end of the body.
    const timer = setTimeout(() => request.destroy(new Error('user-info timed out')), timeoutMs);
    request.on('close', () => clearTimeout(timer));
    request.on('error', reject);
  });
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
  let user: NcUser | null = null;
  if (lookedUp) {
    try {
      user = await askNextcloudForUser(ctx, appId, app, request.headers, deps.nextcloudTimeoutMs ?? HARP_NEXTCLOUD_TIMEOUT_MS);
    } catch {
      // HaRP cannot tell who this is, so it refuses the request (txn.exapps.unauthorized), PUBLIC routes included.
      request.resume();
      return plain(response, 401, '401 Unauthorized');
    }
  }
  const level = user?.access_level ?? 0;
  const route = matchHarpRoute(app.routes, targetPath);
  if (!route) {
    blacklist.fail(clientIp);
    return plain(response, 404, '404 Not Found');
  }
  if (route.access_level !== 0 && !(user && route.access_level <= level)) {
    blacklist.fail(clientIp);
    return plain(response, 403, '403 Forbidden');
  }

  // The user id as user-info gave it, even with access level 0 (a disabled user on a PUBLIC route).
  const authorization = Buffer.from(`${user?.user_id ?? ''}:${app.secret}`).toString('base64');
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
