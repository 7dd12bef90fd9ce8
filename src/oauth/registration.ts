// Dynamic client registration (RFC 7591), open to anyone the admin's policy and the per-address limit let in.
import type { FastifyInstance } from 'fastify';
import { registerClient } from './clients.js';
import type { EndpointSource } from '../http/urls.js';
import type { OAuthStore } from '../store/oauth-store.js';
import { answerErrors, jsonRefusal } from './error-answers.js';
import { OAuthError } from './errors.js';
import type { AnonymousLimits } from './rate-limit.js';
import { sourceOf } from './rate-limit.js';

export async function registrationRoutes(
  app: FastifyInstance,
  { store, limits, endpoints }: { store: OAuthStore; limits: AnonymousLimits; endpoints: EndpointSource },
): Promise<void> {
  const refusal = jsonRefusal({ tokenEndpoint: false });
  answerErrors(app, {
    refusal: (error, request, reply) => {
      request.log.info({ reason: error.code }, 'client registration refused');
      return refusal(error, request, reply);
    },
  });

  app.post('/oauth/register', { bodyLimit: 16 * 1024, config: { cors: true } }, async (request, reply) => {
    const { policy } = await endpoints.current(request);
    const source = sourceOf(request, endpoints.originTrusted(request));
    if (!limits.registrations.take(source)) {
      request.log.warn({ source }, 'client registration refused: too many from this address');
      reply.header('retry-after', String(limits.registrations.retryAfter(source)));
      throw new OAuthError('temporarily_unavailable', 'Too many clients were registered from this address; try again in a minute.', 429);
    }
    const { client, clientSecret } = registerClient(store, request.body, policy);
    const evicted = store.capUnclaimedClients(limits.maxUnclaimedClients);
    if (evicted > 0) request.log.warn({ evicted }, 'registered clients that never signed in were dropped to stay within the cap');
    request.log.info({ client: client.clientId, name: client.clientName, method: client.tokenEndpointAuthMethod }, 'client registered');
    return reply.code(201).send({
      client_id: client.clientId,
      client_id_issued_at: client.createdAt,
      client_name: client.clientName,
      redirect_uris: client.redirectUris,
      grant_types: client.grantTypes,
      response_types: ['code'],
      token_endpoint_auth_method: client.tokenEndpointAuthMethod,
      ...(clientSecret ? { client_secret: clientSecret, client_secret_expires_at: 0 } : {}),
    });
  });
}
