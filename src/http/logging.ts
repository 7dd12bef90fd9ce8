// Log options for Fastify's pino. Secrets and tokens never reach a log line: the AppAPI secret travels in
// AUTHORIZATION-APP-API, client tokens in Authorization, sessions in Cookie, and OAuth codes/tokens in query strings.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyServerOptions } from 'fastify';

const SECRET_HEADERS = [
  'authorization',
  'x-original-authorization',
  'authorization-app-api',
  'cookie',
  'set-cookie',
  'harp-shared-key',
  'x-sim-token',
];

/** Query parameters whose values are credentials or one-time secrets in OAuth and MCP flows. */
const SECRET_QUERY_PARAMS = new Set([
  'code',
  'code_verifier',
  'access_token',
  'refresh_token',
  'id_token',
  'token',
  'client_secret',
  'password',
  'requesttoken',
  'state',
]);

export function redactUrl(url: string): string {
  const queryStart = url.indexOf('?');
  if (queryStart === -1) return url;
  const params = new URLSearchParams(url.slice(queryStart + 1));
  for (const key of [...params.keys()]) {
    if (SECRET_QUERY_PARAMS.has(key.toLowerCase())) params.set(key, '[redacted]');
  }
  return `${url.slice(0, queryStart)}?${params.toString()}`;
}

export function loggerOptions(level: string): FastifyServerOptions['logger'] {
  return {
    level,
    redact: {
      paths: [
        ...SECRET_HEADERS.map((name) => `req.headers["${name}"]`),
        ...SECRET_HEADERS.map((name) => `res.headers["${name}"]`),
        'headers.authorization',
        'headers["authorization-app-api"]',
        'headers.cookie',
      ],
      censor: '[redacted]',
    },
    serializers: {
      req(request) {
        return {
          method: request.method,
          url: redactUrl(request.url),
          remoteAddress: request.ip,
          requestId: request.headers?.['aa-request-id'],
        };
      },
    },
  };
}

/** Nextcloud's request ids: 20 characters of base64 (or Apache's UNIQUE_ID when set), and "CLI" for occ and cron. */
const NEXTCLOUD_REQUEST_ID = /^[A-Za-z0-9+/=@_-]{1,64}$/;

/**
 * The id of a request in the log: Nextcloud's (AA-REQUEST-ID), so a request can be followed from Nextcloud's log
 * into ours, when it looks like one. The PHP proxy joins a copy a client sent before its own ("client, real"), and
 * HaRP passes a client's through unchanged; anything else gets an id of our own.
 */
export function requestIdOf(request: IncomingMessage): string {
  const header = request.headers['aa-request-id'];
  const last = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').pop()!.trim();
  return NEXTCLOUD_REQUEST_ID.test(last) ? last : randomUUID();
}
