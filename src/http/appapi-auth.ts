// The gate in front of every route: AppAPI's header check (lib/appapi/auth.ts) as a fastify hook.
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { AppApiCaller, AppApiExpectation } from '../../lib/appapi/auth.js';
import { restoreClientAuthorization, verifyAppApiHeaders } from '../../lib/appapi/auth.js';
import { isValidHost } from './host.js';

export type { AppApiAuthFailure, AppApiCaller } from '../../lib/appapi/auth.js';
export { DSP_HAPROXY_USER, restoreClientAuthorization, verifyAppApiHeaders } from '../../lib/appapi/auth.js';

declare module 'fastify' {
  interface FastifyRequest {
    appApi: AppApiCaller;
  }
  interface FastifyContextConfig {
    /** Routes Nextcloud calls without AppAPI headers (only the heartbeat). */
    unauthenticated?: boolean;
  }
}

export const appApiAuth = fp<AppApiExpectation>(
  (app, options, done) => {
    app.decorateRequest('appApi', null as unknown as AppApiCaller);
    app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      // Checked here because every request, the heartbeat included, passes this gate before any route runs.
      if (!isValidHost(request.headers.host))
        return reply.code(400).send({ error: 'bad_request', message: 'The Host header is not a valid host[:port].' });
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
  { name: 'app-api-auth' },
);
