// What Nextcloud answers while `maintenance` is on in config.php, before any app controller runs.
//
// status.php: 200 as always, with `maintenance: true` (clients poll it to know when to come back).
// ocs/v1.php, ocs/v2.php: ApiHelper::respond(503, 'Service unavailable', X-Nextcloud-Maintenance-Mode) before
// routing: an OCS envelope with statuscode 503 and HTTP 503 in both versions.
// remote.php: 503 from SabreDAV (`Sabre\DAV\Exception\ServiceUnavailable`).
// index.php (pages, the PHP proxy, AppAPI's HaRP endpoints): base.php checkMaintenanceMode, 503 with the
// maintenance page, X-Nextcloud-Maintenance-Mode: 1 and Retry-After: 120.
// AppAPI from 35 marks a few OCS endpoints available during maintenance (#[MaintenanceModeAvailable]: log, init
// progress, enabled state, absolute URL); those pass on the releases that have them.
import type http from 'node:http';
import type { CoreEntry } from './core-login.js';

const MAINTENANCE_HEADERS = { 'x-nextcloud-maintenance-mode': '1', 'retry-after': '120' };

/** AppAPI's #[MaintenanceModeAvailable] OCS routes (nextcloud/app_api OCSApiController, from 35). */
const AVAILABLE_FROM_35 = [
  /^\/ocs\/v[12]\.php\/apps\/app_api\/api\/v1\/log$/,
  /^\/ocs\/v[12]\.php\/apps\/app_api\/apps\/status\/[^/]+$/,
  /^\/ocs\/v[12]\.php\/apps\/app_api\/ex-app\/status$/,
  /^\/ocs\/v[12]\.php\/apps\/app_api\/ex-app\/state$/,
  /^\/ocs\/v[12]\.php\/apps\/app_api\/api\/v1\/info\/nextcloud_url\/absolute$/,
];

/** Whether a request still gets through to its controller during maintenance. */
export function availableInMaintenance(path: string, serverMajor: number): boolean {
  if (path === '/status.php') return true;
  return serverMajor >= 35 && AVAILABLE_FROM_35.some((pattern) => pattern.test(path));
}

function escapeXml(value: string): string {
  return value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

export function answerMaintenance(request: http.IncomingMessage, response: http.ServerResponse, entry: CoreEntry): void {
  request.resume();
  const url = new URL(request.url ?? '/', 'http://nextcloud.invalid');
  if (entry === 'ocs') {
    const v2 = url.pathname.startsWith('/ocs/v2.php');
    const format = url.searchParams.get('format');
    const json = format === 'json' || (format !== 'xml' && String(request.headers.accept ?? '').includes('application/json'));
    const meta = {
      status: 'failure',
      statuscode: 503,
      message: 'Service unavailable',
      ...(v2 ? {} : { totalitems: '', itemsperpage: '' }),
    };
    if (json) {
      response
        .writeHead(503, { ...MAINTENANCE_HEADERS, 'content-type': 'application/json; charset=utf-8' })
        .end(JSON.stringify({ ocs: { meta, data: [] } }));
      return;
    }
    const metaXml = Object.entries(meta)
      .map(([name, value]) => `<${name}>${escapeXml(String(value))}</${name}>`)
      .join('');
    response
      .writeHead(503, { ...MAINTENANCE_HEADERS, 'content-type': 'text/xml; charset=UTF-8' })
      .end(`<?xml version="1.0"?>\n<ocs><meta>${metaXml}</meta><data/></ocs>\n`);
    return;
  }
  if (entry === 'dav') {
    response
      .writeHead(503, { 'content-type': 'application/xml; charset=utf-8' })
      .end(
        '<?xml version="1.0" encoding="utf-8"?>\n<d:error xmlns:d="DAV:" xmlns:s="http://sabredav.org/ns">\n  <s:exception>Sabre\\DAV\\Exception\\ServiceUnavailable</s:exception>\n  <s:message>Service unavailable</s:message>\n</d:error>\n',
      );
    return;
  }
  response
    .writeHead(503, {
      ...MAINTENANCE_HEADERS,
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-cache, no-store, must-revalidate',
    })
    .end(
      '<!DOCTYPE html><html><head><title>Nextcloud</title></head><body><div class="guest-box"><h2>Maintenance mode</h2><p>This Nextcloud instance is currently in maintenance mode, which may take a while. This page will refresh itself when the instance is available again.</p></div></body></html>',
    );
}
