// AppAPI's ExAppProxyController: /index.php/apps/app_api/proxy/{appId}/{path} (and /apps/app_api/proxy/...).
// Each behaviour below is one the contract (appapi.md section 5) pins down.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import type { SimContext } from '../context.js';
import type { ResolvedIdentity } from '../identity.js';
import { isAdmin } from '../state.js';
import type { Throttler } from '../throttle.js';
import { rebuildQueryLikePhp } from './php-query.js';
import type { PhpWorkers } from './php-workers.js';
import { hasDotDotSegment, matchPhpProxyRoute } from './routes-table.js';
import { appApiHeaders, readBody, requestExApp } from './upstream.js';

export const PHP_PROXY_PATTERN = /^(?:\/index\.php)?\/apps\/app_api\/proxy\/([^/?]+)(?:\/([^?]*))?(?:\?(.*))?$/;

// The router's verbs; Symfony's matcher treats HEAD as GET, so HEAD reaches the GET action.
const ALLOWED_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE']);
const STRIPPED_REQUEST_HEADERS = new Set(['content-length', 'authorization-app-api', 'x-origin-ip', 'transfer-encoding', 'connection']);
const STRIPPED_RESPONSE_HEADERS = new Set([
  'aa-version',
  'ex-app-id',
  'authorization-app-api',
  'ex-app-version',
  'aa-request-id',
  'transfer-encoding',
  'connection',
  'keep-alive',
]);
const MAX_REDIRECTS = 5;
/** Response::getHeaders() of an empty Nextcloud response; the ExApp's headers are merged over these. */
const NEXTCLOUD_DEFAULT_HEADERS: Record<string, string> = {
  'cache-control': 'no-cache, no-store, must-revalidate',
  'content-security-policy': "default-src 'none';base-uri 'none';manifest-src 'self';frame-ancestors 'none'",
  'feature-policy': "autoplay 'none';camera 'none';fullscreen 'none';geolocation 'none';microphone 'none';payment 'none'",
  'x-robots-tag': 'noindex, nofollow',
};
const MIME_BY_EXTENSION: Record<string, string> = {
  '.js': 'application/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.html': 'text/html',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain',
};

export interface ProxyDeps {
  ctx: SimContext;
  throttler: Throttler;
  workers: PhpWorkers;
  identity: ResolvedIdentity;
  clientIp: string;
}

export async function handlePhpProxy(request: http.IncomingMessage, response: http.ServerResponse, deps: ProxyDeps): Promise<void> {
  const { ctx, throttler, workers, identity, clientIp } = deps;
  const match = PHP_PROXY_PATTERN.exec(request.url ?? '');
  const method = (request.method ?? 'GET').toUpperCase();
  if (!match) return notFound(response);
  if (!ALLOWED_METHODS.has(method)) {
    // base.php: MethodNotAllowedException -> http_response_code(405), nothing else.
    response.writeHead(405).end();
    return;
  }
  const generation = ctx.generation;
  const appId = decodeURIComponent(match[1]!);
  const rawPath = match[2] ?? '';
  // The router decodes the path; exotic encodings such as %2F are not preserved.
  let appPath: string;
  try {
    appPath = decodeURIComponent(rawPath);
  } catch {
    return notFound(response);
  }
  // POST, PUT and DELETE require a non-empty {path} (requirements other '.+').
  if (method !== 'GET' && method !== 'HEAD' && appPath === '') return notFound(response);
  // From 32.0.10 / 33.0.4 only; older releases match and forward such a path.
  if (generation.phpProxy.refusesDotDotSegments && hasDotDotSegment(rawPath)) return notFound(response);
  const app = ctx.state.apps.get(appId);
  if (!app || !app.enabled) return notFound(response);
  const user = identity.user;
  // passesExAppProxyRouteAccessLevelCheck: any level other than 0, 1, 2 never passes.
  const passesAccess = (candidate: { access_level: number }) =>
    candidate.access_level === 0 || (candidate.access_level === 1 && user !== null) || (candidate.access_level === 2 && isAdmin(user));
  // The verb check sees the request's own method: HEAD fails it unless a route lists HEAD.
  const route = matchPhpProxyRoute(app.routes, appPath, method, { generation, passesAccess });
  if (!route) return notFound(response);
  const guarded = route.bruteforce_protection.length > 0;
  if (guarded && throttler.isBlocked(clientIp, 'app_api')) {
    response.writeHead(429, { 'content-type': 'text/plain' }).end('Too Many Requests');
    return;
  }

  const headers: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || STRIPPED_REQUEST_HEADERS.has(name) || route.headers_to_exclude.includes(name)) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  const requestId = randomBytes(10).toString('base64url');
  // Guzzle merges AppAPI's headers with the client's: a client-sent EX-APP-ID or AA-* survives as a joined value.
  for (const [name, value] of Object.entries(appApiHeaders(app, user?.id ?? '', ctx.appApiVersion, requestId))) {
    const existing = headers[name];
    headers[name] = existing !== undefined && name !== 'authorization-app-api' ? `${existing}, ${value}` : value;
  }
  headers['accept-language'] ??= user?.language ?? 'en';
  headers['x-origin-ip'] = clientIp;
  const body = method === 'GET' || method === 'HEAD' ? undefined : await readBody(request);
  if (body) headers['content-length'] = String(body.length);

  const query = rebuildQueryLikePhp(match[3] ?? '');
  let upstream: http.IncomingMessage;
  let upstreamBody: Buffer;
  try {
    // Guzzle's CurlHandler ignores `stream => true`: the whole response is downloaded before PHP sees any of it.
    // The client's disconnect is not watched: the worker stays with curl until the ExApp ends the response.
    [upstream, upstreamBody] = await workers.hold(async () => {
      // ExAppGet forwards a HEAD request as GET.
      const answer = await followRedirects(app, {
        method: method === 'HEAD' ? 'GET' : method,
        path: `/${encodePath(appPath)}${query ? `?${query}` : ''}`,
        headers,
        body,
      });
      return [answer, await readBody(answer)] as const;
    });
  } catch (error) {
    response.writeHead(500, { 'content-type': 'text/plain' }).end(`Proxy error: ${(error as Error).message}`);
    return;
  }
  const status = upstream.statusCode ?? 502;
  if (guarded) {
    if (route.bruteforce_protection.includes(status)) throttler.registerAttempt(clientIp, 'app_api');
    else if (status >= 200 && status < 300) throttler.reset(clientIp, 'app_api');
  }

  const outHeaders: Record<string, string> = { ...NEXTCLOUD_DEFAULT_HEADERS, 'x-request-id': requestId };
  const appHeaders: Record<string, string> = {};
  for (let i = 0; i < upstream.rawHeaders.length; i += 2) {
    const name = upstream.rawHeaders[i]!.toLowerCase();
    // ProxyResponse keeps $value[0]: only the first value of each header survives (e.g. one Set-Cookie).
    if (STRIPPED_RESPONSE_HEADERS.has(name) || name in appHeaders) continue;
    appHeaders[name] = upstream.rawHeaders[i + 1]!;
  }
  const isHtmlPath = appPath.endsWith('.html');
  const contentType = appHeaders['content-type'] ?? MIME_BY_EXTENSION[path.extname(appPath)] ?? '';
  if (contentType) appHeaders['content-type'] = contentType;
  if (
    !isHtmlPath &&
    appHeaders['cache-control'] === undefined &&
    contentType !== 'application/json' &&
    contentType !== 'application/x-tar'
  ) {
    outHeaders['cache-control'] = 'private, max-age=3600, must-revalidate';
    outHeaders.expires = new Date(Date.now() + 3600_000).toUTCString();
  }
  Object.assign(outHeaders, appHeaders);

  if (method === 'HEAD') {
    response.writeHead(status, outHeaders).end();
    return;
  }
  const sent = isHtmlPath
    ? Buffer.from(upstreamBody.toString('utf8').replaceAll('<script', `<script nonce="${randomBytes(16).toString('base64')}"`))
    : upstreamBody;
  delete outHeaders['content-length'];
  response.writeHead(status, { ...outHeaders, 'content-length': String(sent.length) }).end(sent);
}

/** Guzzle's default allow_redirects: follow up to 5 hops; 301-303 turn into GET without a body. */
async function followRedirects(
  app: Parameters<typeof requestExApp>[0],
  first: { method: string; path: string; headers: http.OutgoingHttpHeaders; body?: Buffer },
): Promise<http.IncomingMessage> {
  let current = first;
  for (let hop = 0; ; hop++) {
    const upstream = await requestExApp(app, current);
    const status = upstream.statusCode ?? 0;
    const location = upstream.headers.location;
    if (status < 300 || status >= 400 || !location || status === 304) return upstream;
    if (hop >= MAX_REDIRECTS) {
      upstream.destroy();
      throw new Error(`Will not follow more than ${MAX_REDIRECTS} redirects`);
    }
    // curl reads a redirect's body before it follows the Location.
    await readBody(upstream);
    const target = new URL(location, EXAPP_ORIGIN + current.path);
    const keepMethod = status === 307 || status === 308;
    const headers = { ...current.headers };
    if (!keepMethod) {
      delete headers['content-length'];
      delete headers['content-type'];
    }
    current = {
      method: keepMethod ? current.method : 'GET',
      path: `${target.pathname}${target.search}`,
      headers,
      body: keepMethod ? current.body : undefined,
    };
    // Guzzle follows a redirect to any host, server-side: the browser never sees the Location.
    if (target.origin !== EXAPP_ORIGIN && !isSameTarget(app, target)) {
      return requestUrl(target, current.method, current.headers, current.body);
    }
  }
}

const EXAPP_ORIGIN = 'http://exapp.invalid';

function isSameTarget(app: Parameters<typeof requestExApp>[0], url: URL): boolean {
  return 'host' in app.target && url.protocol === 'http:' && url.hostname === app.target.host && Number(url.port || 80) === app.target.port;
}

function requestUrl(url: URL, method: string, headers: http.OutgoingHttpHeaders, body?: Buffer): Promise<http.IncomingMessage> {
  // Guzzle's RedirectMiddleware drops Authorization and Cookie when a redirect changes the host.
  const { host: _host, authorization: _authorization, cookie: _cookie, ...rest } = headers;
  return new Promise((resolve, reject) => {
    const outgoing = (url.protocol === 'https:' ? https : http).request(url, { method, headers: rest }, resolve);
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

function encodePath(appPath: string): string {
  return appPath.split('/').map(encodeURIComponent).join('/');
}

/** NotFoundResponse is a TemplateResponse: Nextcloud's guest "Page not found" page. */
function notFound(response: http.ServerResponse): void {
  response
    .writeHead(404, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-cache, no-store, must-revalidate',
      ...NOT_FOUND_HEADERS,
    })
    .end(
      '<!DOCTYPE html><html><head><title>Nextcloud</title></head><body><div class="guest-box"><h2>Page not found</h2><p>The page could not be found on the server or you may not be allowed to view it.</p></div></body></html>',
    );
}

const NOT_FOUND_HEADERS = {
  'content-security-policy': NEXTCLOUD_DEFAULT_HEADERS['content-security-policy']!,
  'x-robots-tag': 'noindex, nofollow',
};
