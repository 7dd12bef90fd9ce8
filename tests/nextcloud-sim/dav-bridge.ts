// /remote.php/dav/* is answered by the SabreDAV backend. Nextcloud's DAV authenticates with AppAPI headers
// (AppAPI's DavPlugin), a session or Basic; the backend trusts the user this bridge names.
import http from 'node:http';
import type { SimContext } from './context.js';
import type { ResolvedIdentity } from './identity.js';

const NOT_AUTHENTICATED =
  '<?xml version="1.0" encoding="utf-8"?>\n<d:error xmlns:d="DAV:" xmlns:s="http://sabredav.org/ns">\n  <s:exception>Sabre\\DAV\\Exception\\NotAuthenticated</s:exception>\n  <s:message>No public access to this resource., AppAPI authentication failed</s:message>\n</d:error>\n';
const DROPPED_HEADERS = new Set(['authorization', 'cookie', 'host', 'connection', 'x-sim-user', 'x-sim-token', 'x-sim-public-url']);
const HOP_BY_HOP = new Set(['connection', 'keep-alive']);

export function handleDav(request: http.IncomingMessage, response: http.ServerResponse, ctx: SimContext, identity: ResolvedIdentity): void {
  // With AppAPI headers, an Authorization header makes Sabre's default backend try (and fail) Basic auth.
  const conflictingAuth = identity.via === 'appapi' && request.headers.authorization !== undefined;
  if (!identity.user || conflictingAuth) {
    response
      .writeHead(401, { 'content-type': 'application/xml; charset=utf-8', 'www-authenticate': 'Basic realm="Nextcloud", charset="UTF-8"' })
      .end(NOT_AUTHENTICATED);
    request.resume();
    return;
  }
  const headers: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (!DROPPED_HEADERS.has(name) && value !== undefined) headers[name] = value;
  }
  headers['x-sim-user'] = identity.user.id;
  headers['x-sim-token'] = ctx.dav.token;
  headers['x-sim-public-url'] = ctx.baseUrl();
  const target = new URL(ctx.dav.origin);
  const outgoing = http.request(
    { host: target.hostname, port: target.port, method: request.method, path: request.url, headers },
    (upstream) => {
      // PHP's built-in server closes every connection; Nextcloud behind Apache or nginx keeps them open. Its
      // hop-by-hop headers stay on this hop, so a client's connection to the simulator stays open as it would.
      const kept: string[] = [];
      for (let index = 0; index < upstream.rawHeaders.length; index += 2) {
        if (!HOP_BY_HOP.has(upstream.rawHeaders[index]!.toLowerCase()))
          kept.push(upstream.rawHeaders[index]!, upstream.rawHeaders[index + 1]!);
      }
      response.writeHead(upstream.statusCode ?? 502, kept);
      upstream.pipe(response);
    },
  );
  outgoing.on('error', (error) => {
    if (!response.headersSent) response.writeHead(503, { 'content-type': 'text/plain' });
    response.end(`DAV backend unavailable: ${error.message}`);
  });
  request.pipe(outgoing);
}
