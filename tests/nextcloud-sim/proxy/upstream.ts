// Requests from the simulated Nextcloud to an ExApp, over TCP (manual-install) or a unix socket (HaRP's tunnel).
import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { ExApp } from '../context.js';

export interface UpstreamRequest {
  method: string;
  /** Path and query, starting with '/'. */
  path: string;
  headers: http.OutgoingHttpHeaders;
  body?: Buffer | NodeJS.ReadableStream;
  /** 0 = none (the PHP proxy since AppAPI 3.1). */
  timeoutMs?: number;
}

/** The user AppAPI authenticates as at a Docker Socket Proxy's HAProxy (DockerActions::APP_API_HAPROXY_USER). */
export const HAPROXY_USER = 'app_api_haproxy_user';

/**
 * AppAPIService::swapAuthorizationHeader plus Guzzle's `auth` option, for ExApps behind a remote Docker Socket
 * Proxy over https: a client's Authorization is copied to X-Original-Authorization (replacing a client-sent one),
 * and Authorization becomes AppAPI's Basic credentials for the proxy. Without a client Authorization, a
 * client-sent X-Original-Authorization passes unchanged.
 */
export function withUpstreamAuth(headers: http.OutgoingHttpHeaders, auth: { user: string; password: string }): http.OutgoingHttpHeaders {
  const result = { ...headers };
  if (result.authorization !== undefined) result['x-original-authorization'] = result.authorization;
  result.authorization = `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`;
  return result;
}

/** haproxy_agent.py: a request with all of these is a direct one from AppAPI (requestToExApp and the PHP proxy). */
export const APPAPI_SIGNED_HEADERS = [
  'ex-app-version',
  'ex-app-id',
  'ex-app-host',
  'ex-app-port',
  'authorization-app-api',
  'harp-shared-key',
];

export function isAppApiSigned(headers: http.IncomingHttpHeaders | http.OutgoingHttpHeaders): boolean {
  return APPAPI_SIGNED_HEADERS.every((name) => headers[name] !== undefined);
}

/** HaRP compares the shared key as one string: a repeated header joined into one value is a wrong key. */
export function sameHarpKey(given: unknown, key: string): boolean {
  if (typeof given !== 'string' || given.length !== key.length) return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(key));
}

export function requestExApp(app: ExApp, request: UpstreamRequest): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const target = 'socketPath' in app.target ? { socketPath: app.target.socketPath } : { host: app.target.host, port: app.target.port };
    let headers = app.upstreamAuth ? withUpstreamAuth(request.headers, app.upstreamAuth) : request.headers;
    // AppAPI reaches an app on a HaRP daemon through HaRP, which silently drops a signed request with a wrong key
    // (a client's own harp-shared-key, joined to AppAPI's by the PHP proxy, makes it wrong) and sets AA-VERSION.
    if (app.harpSigning && isAppApiSigned(headers)) {
      if (!sameHarpKey(headers['harp-shared-key'], app.harpSigning.sharedKey)) {
        return reject(new Error(`HaRP dropped the request to ${app.id}: wrong harp-shared-key`));
      }
      headers = { ...headers, 'aa-version': '32' };
    }
    const outgoing = http.request({ ...target, method: request.method, path: request.path, headers }, resolve);
    outgoing.on('error', reject);
    if (request.timeoutMs) {
      outgoing.setTimeout(request.timeoutMs, () =>
        outgoing.destroy(new Error(`ExApp ${app.id} did not answer within ${request.timeoutMs} ms`)),
      );
    }
    if (request.body === undefined) outgoing.end();
    else if (Buffer.isBuffer(request.body)) outgoing.end(request.body);
    else request.body.pipe(outgoing);
  });
}

export async function readBody(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** The AppAPI headers of AppAPICommonService::buildAppAPIAuthHeaders (with HaRP's three for a HaRP daemon). */
export function appApiHeaders(app: ExApp, userId: string, aaVersion: string, requestId: string): Record<string, string> {
  return {
    'aa-version': aaVersion,
    'ex-app-id': app.id,
    'ex-app-version': app.version,
    'authorization-app-api': Buffer.from(`${userId}:${app.secret}`).toString('base64'),
    'aa-request-id': requestId,
    ...(app.harpSigning
      ? {
          'harp-shared-key': app.harpSigning.sharedKey,
          'ex-app-port': String(app.harpSigning.port),
          'ex-app-host': app.harpSigning.host,
        }
      : {}),
  };
}
