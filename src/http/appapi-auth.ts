// Verifies that a request really comes from Nextcloud's AppAPI (PHP proxy, HaRP or AppAPI itself).
// AppAPI signs nothing but a shared secret, so this check is the only gate in front of the app.
import { secretsEqual } from '../core/secrets.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { basicCredentials } from './basic-auth.js';
import { isValidHost } from './host.js';

export interface AppApiCaller {
  /** The Nextcloud user the request acts for; '' for AppAPI's own system calls and anonymous visitors. */
  userId: string;
  /** The version AppAPI has registered (it may differ from ours during an update). */
  registeredVersion: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    appApi: AppApiCaller;
  }
  interface FastifyContextConfig {
    /** Routes Nextcloud calls without AppAPI headers (only the heartbeat). */
    unauthenticated?: boolean;
  }
}

export type AppApiAuthFailure = { code: 'missing_headers' | 'wrong_app' | 'bad_authorization' | 'wrong_secret'; message: string };

export function verifyAppApiHeaders(
  headers: FastifyRequest['headers'],
  expected: { appId: string; appSecret: string },
): AppApiCaller | AppApiAuthFailure {
  const appId = headers['ex-app-id'];
  const version = headers['ex-app-version'];
  const authorization = headers['authorization-app-api'];
  if (typeof appId !== 'string' || !appId || typeof version !== 'string' || !version || typeof authorization !== 'string' || !authorization) {
    return { code: 'missing_headers', message: 'AppAPI authentication failed: EX-APP-ID, EX-APP-VERSION and AUTHORIZATION-APP-API are required' };
  }
  // The PHP proxy forwards client-sent EX-APP-ID too, which Node joins with ", ": only an exact match passes.
  if (appId !== expected.appId) {
    return { code: 'wrong_app', message: 'AppAPI authentication failed: EX-APP-ID does not name this app' };
  }
  const decoded = Buffer.from(authorization, 'base64').toString('utf8');
  const separator = decoded.indexOf(':');
  if (separator === -1) {
    return { code: 'bad_authorization', message: 'AppAPI authentication failed: AUTHORIZATION-APP-API is not base64("user:secret")' };
  }
  if (!secretsEqual(decoded.slice(separator + 1), expected.appSecret)) {
    return { code: 'wrong_secret', message: 'AppAPI authentication failed: the app secret does not match' };
  }
  return { userId: decoded.slice(0, separator), registeredVersion: version };
}


/** The user AppAPI sends in its own Basic credentials to a remote Docker Socket Proxy (HAProxy). */
export const DSP_HAPROXY_USER = 'app_api_haproxy_user';

/**
 * Behind a remote Docker Socket Proxy over https, AppAPI moves the client's Authorization into
 * X-Original-Authorization and sends the proxy's Basic credentials in Authorization. Once the AppAPI headers
 * proved the request came through Nextcloud, the client's own header is put back where the routes read it, and
 * the proxy's credentials never reach them. Without the proxy's credentials, X-Original-Authorization is whatever
 * a client chose to send, and is dropped.
 */
export function restoreClientAuthorization(headers: FastifyRequest['headers']): void {
  const original = headers['x-original-authorization'];
  delete headers['x-original-authorization'];
  if (!basicCredentials(headers.authorization)?.startsWith(`${DSP_HAPROXY_USER}:`)) return;
  if (typeof original === 'string' && original !== '') headers.authorization = original;
  else delete headers.authorization;
}

export const appApiAuth = fp<{ appId: string; appSecret: string }>(
  (app, options, done) => {
    app.decorateRequest('appApi', null as unknown as AppApiCaller);
    app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      // Checked here because every request, the heartbeat included, passes this gate before any route runs.
      if (!isValidHost(request.headers.host)) return reply.code(400).send({ error: 'bad_request', message: 'The Host header is not a valid host[:port].' });
      if (request.routeOptions.config?.unauthenticated) return;
      const result = verifyAppApiHeaders(request.headers, options);
      if ('code' in result) {
        request.log.warn({ reason: result.code }, 'rejected a request without valid AppAPI authentication');
        return reply.code(401).send({ error: result.code, message: result.message });
      }
      request.appApi = result;
      restoreClientAuthorization(request.headers);
    });
    done();
  },
  { name: "app-api-auth" },
);
