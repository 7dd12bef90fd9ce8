// The OCS envelope exactly as Nextcloud renders it (v1: HTTP 200 except 997 -> 401; v2: real status codes).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { OcsVersion, SimUser } from './context.js';

export function ocsVersionOf(request: FastifyRequest): OcsVersion {
  return request.url.startsWith('/ocs/v1.php') ? 1 : 2;
}

export interface OcsResult {
  data?: unknown;
  /** HTTP-ish status of the controller response (200, 201, 400, 403, 404, 412, ...). */
  status?: number;
  /** OCS status code; defaults derive from status (v1: 100 on success). */
  statuscode?: number;
  message?: string;
  headers?: Record<string, string>;
}

/** Nextcloud's defaults when an OCS controller fails: 997 unauthorised, 998 not found. */
export function sendOcs(request: FastifyRequest, reply: FastifyReply, result: OcsResult): FastifyReply {
  const version = ocsVersionOf(request);
  const status = result.status ?? 200;
  const ok = status >= 200 && status < 300;
  let statuscode = result.statuscode ?? (version === 1 ? (ok ? 100 : status) : status);
  if (version === 1 && ok) statuscode = 100;
  const message = result.message ?? (ok ? 'OK' : '');
  let httpStatus: number;
  if (version === 1) {
    httpStatus = statuscode === 997 ? 401 : 200;
  } else if (statuscode === 997) {
    httpStatus = 401;
  } else if (statuscode === 998) {
    httpStatus = 404;
  } else if (statuscode === 996 || statuscode === 999) {
    httpStatus = 500;
  } else if (statuscode < 200 || statuscode > 600) {
    httpStatus = 400;
  } else {
    httpStatus = status;
  }
  for (const [name, value] of Object.entries(result.headers ?? {})) reply.header(name, value);
  if (httpStatus === 204 || httpStatus === 304) return reply.code(httpStatus).send();
  const meta: Record<string, unknown> = {
    status: version === 1 ? (statuscode === 100 ? 'ok' : 'failure') : ok ? 'ok' : 'failure',
    statuscode,
    message,
  };
  if (version === 1) {
    meta.totalitems = '';
    meta.itemsperpage = '';
  }
  const data = result.data ?? [];
  const wantsXml = !wantsJson(request);
  reply.code(httpStatus);
  if (wantsXml) {
    reply.header('content-type', 'text/xml; charset=UTF-8');
    return reply.send(toXml({ ocs: { meta, data } }));
  }
  reply.header('content-type', 'application/json; charset=utf-8');
  return reply.send(JSON.stringify({ ocs: { meta, data } }));
}

export function wantsJson(request: FastifyRequest): boolean {
  const query = request.query as Record<string, unknown> | undefined;
  if (query && query.format === 'json') return true;
  if (query && query.format === 'xml') return false;
  return String(request.headers.accept ?? '').includes('application/json');
}

/** Shorthands for the failures every OCS controller shares. */
export const ocsErrors = {
  unauthorised: { status: 401, statuscode: 997, message: 'Current user is not logged in' },
  notFound: (message = '') => ({ status: 404, statuscode: 998, message }),
};

/** The logged-in user, or null after answering 401 (OCS 997) as every OCS controller without a user does. */
export function requireOcsUser(request: FastifyRequest, reply: FastifyReply): SimUser | null {
  if (request.nc.user) return request.nc.user;
  sendOcs(request, reply, ocsErrors.unauthorised);
  return null;
}

function toXml(value: unknown, name = ''): string {
  if (value === null || value === undefined) return name ? `<${name}/>` : '';
  if (Array.isArray(value)) {
    const inner = value.map((item) => toXml(item, 'element')).join('');
    return name ? `<${name}>${inner}</${name}>` : inner;
  }
  if (typeof value === 'object') {
    const inner = Object.entries(value as Record<string, unknown>)
      .map(([key, item]) => toXml(item, key))
      .join('');
    return name ? `<${name}>${inner}</${name}>` : `<?xml version="1.0"?>\n${inner}`;
  }
  const text = String(typeof value === 'boolean' ? (value ? 1 : '') : value)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;');
  return `<${name}>${text}</${name}>`;
}
