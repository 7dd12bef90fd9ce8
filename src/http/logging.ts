// Log options for Fastify's pino. Secrets and tokens never reach a log line: the AppAPI secret travels in
// AUTHORIZATION-APP-API, client tokens in Authorization, sessions in Cookie, and OAuth codes/tokens in query strings.
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
