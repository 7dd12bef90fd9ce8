// What Nextcloud core answers before any app controller runs when OC::handleLogin failed a Basic login
// (Session::tryBasicAuthLogin throws LoginException; MaxDelayReached once the IP is throttled).
//
// index.php (nextcloud/server index.php, respondWithHtmlOrJsonError): 401 with JSON {"message": <exception
// message>} (empty for wrong credentials), `Content-Type: application/json; charset=utf-8`, no WWW-Authenticate;
// an HTML error page instead when the Accept header contains "html". 429 likewise for MaxDelayReached.
// ocs/v1.php, ocs/v2.php: an OCS envelope, statuscode 997 "Unauthorised" (v2: 401), XML, with
// `WWW-Authenticate: Basic realm="Authorisation Required"` (DummyBasic for XMLHttpRequest); MaxDelayReached is no
// LoginException there and ends as 996 / HTTP 500 "Internal Server Error".
import type http from 'node:http';

/** Paths where handleLogin never runs: status.php, and core's OAuth token endpoint (base.php handleRequest). */
const NO_LOGIN_PATHS = [/^\/status\.php$/, /^(?:\/index\.php)?\/apps\/oauth2\/api\/v1\/token$/, /^(?:\/index\.php)?\/heartbeat$/];
const OCS_PATH = /^\/ocs\/v([12])\.php(\/|$)/;
const DAV_PATH = /^\/remote\.php(\/|$)/;

export type CoreEntry = 'index' | 'ocs' | 'dav' | 'none';

/** Which of Nextcloud's entry points serves a path (index.php serves everything that is not another script). */
export function coreEntry(path: string): CoreEntry {
  if (NO_LOGIN_PATHS.some((pattern) => pattern.test(path))) return 'none';
  if (OCS_PATH.test(path)) return 'ocs';
  if (DAV_PATH.test(path)) return 'dav';
  return 'index';
}

function escapeHtml(value: string): string {
  return value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

export function answerLoginFailure(
  request: http.IncomingMessage,
  response: http.ServerResponse,
  failure: { status: 401 | 429; message: string },
  entry: 'index' | 'ocs',
): void {
  request.resume();
  if (entry === 'ocs') {
    const v2 = (request.url ?? '').startsWith('/ocs/v2.php');
    const unauthorised = failure.status === 401;
    const statuscode = unauthorised ? (v2 ? 401 : 997) : v2 ? 500 : 996;
    const message = unauthorised ? 'Unauthorised' : 'Internal Server Error\n';
    const meta = `<status>failure</status><statuscode>${statuscode}</statuscode><message>${escapeHtml(message)}</message>${v2 ? '' : '<totalitems></totalitems><itemsperpage></itemsperpage>'}`;
    const headers: http.OutgoingHttpHeaders = { 'content-type': 'text/xml; charset=UTF-8' };
    if (unauthorised) {
      headers['www-authenticate'] =
        request.headers['x-requested-with'] === 'XMLHttpRequest'
          ? 'DummyBasic realm="Authorisation Required"'
          : 'Basic realm="Authorisation Required"';
    }
    response.writeHead(unauthorised ? 401 : 500, headers).end(`<?xml version="1.0"?>\n<ocs><meta>${meta}</meta><data/></ocs>\n`);
    return;
  }
  const accept = String(request.headers.accept ?? '');
  if (!/html/i.test(accept)) {
    response
      .writeHead(failure.status, { 'content-type': 'application/json; charset=utf-8' })
      .end(JSON.stringify({ message: failure.message }));
    return;
  }
  const title = failure.status === 429 ? 'Too many requests' : failure.message || 'Unauthorized';
  response
    .writeHead(failure.status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache, no-store, must-revalidate' })
    .end(
      `<!DOCTYPE html><html><head><title>Nextcloud</title></head><body><div class="guest-box"><h2>${escapeHtml(title)}</h2><p>${escapeHtml(failure.message)}</p></div></body></html>`,
    );
}
