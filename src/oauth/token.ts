// /oauth/token: the client authentication every grant type shares, then the grant type's own module (grants/); and
// /oauth/revoke (RFC 7009).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { hashSecret, secretsEqual } from '../core/secrets.js';
import { isScope } from '../core/scopes.js';
import { basicCredentials } from '../http/basic-auth.js';
import type { EndpointSource } from '../http/urls.js';
import type { ClientRecord, OAuthStore } from '../store/oauth-store.js';
import { clientKindProblem } from './clients.js';
import type { EligibilityChecker } from './eligibility.js';
import { answerErrors, jsonRefusal } from './error-answers.js';
import { OAuthError } from './errors.js';
import { authorizationCodeGrant } from './grants/authorization-code.js';
import type { Grant } from './grants/grant.js';
import { refreshTokenGrant } from './grants/refresh-token.js';
import type { SigningKeys } from './tokens.js';
import { signAccessToken, verifyAccessToken } from './tokens.js';

const field = z.string().max(4096).optional();
/** The parameters a token request may carry, each at most once; each grant then reads its own with its schema. */
const tokenRequest = z.object({
  grant_type: field,
  code: field,
  code_verifier: field,
  redirect_uri: field,
  refresh_token: field,
  scope: field,
  resource: field,
  client_id: field,
  client_secret: field,
});
const revokeRequest = z.object({ token: field, token_type_hint: field, client_id: field, client_secret: field });

const GRANTS: Readonly<Record<string, Grant>> = { authorization_code: authorizationCodeGrant, refresh_token: refreshTokenGrant };

/** Client authentication: client_secret_basic, client_secret_post, or a public client naming itself. */
export function authenticateClient(
  store: OAuthStore,
  request: FastifyRequest,
  body: { client_id?: string; client_secret?: string },
): ClientRecord {
  let clientId = body.client_id;
  let secret = body.client_secret;
  const decoded = basicCredentials(request.headers.authorization);
  if (decoded !== null) {
    const colon = decoded.indexOf(':');
    if (colon === -1) throw new OAuthError('invalid_client', 'The Basic authorization header is malformed.');
    // RFC 6749 §2.3.1: both parts are form-urlencoded inside the header.
    const decode = (value: string) => {
      try {
        return decodeURIComponent(value.replaceAll('+', ' '));
      } catch {
        throw new OAuthError('invalid_client', 'The Basic authorization header is malformed (bad percent-encoding).');
      }
    };
    clientId = decode(decoded.slice(0, colon));
    secret = decode(decoded.slice(colon + 1));
    if (body.client_id !== undefined && body.client_id !== clientId)
      throw new OAuthError('invalid_request', 'client_id in the body differs from the Basic credentials.');
  }
  if (!clientId) throw new OAuthError('invalid_client', 'The request names no client (client_id).');
  const client = store.getClient(clientId);
  if (!client) throw new OAuthError('invalid_client', 'This client is not registered with this server; register it again.');
  if (client.secretHash) {
    if (!secret || !secretsEqual(hashSecret(secret), client.secretHash))
      throw new OAuthError('invalid_client', 'The client secret is wrong or missing.');
  }
  return client;
}

export async function tokenRoutes(
  app: FastifyInstance,
  {
    store,
    keys,
    eligibility,
    endpoints,
  }: { store: OAuthStore; keys: SigningKeys; eligibility: EligibilityChecker; endpoints: EndpointSource },
): Promise<void> {
  // Nextcloud not answering (the account or the policy could not be checked) is "try again", never invalid_grant,
  // which would make the client drop a grant that is still good. Every check that may need Nextcloud runs before a
  // code or refresh token is spent, so the retry finds them unused.
  answerErrors(app, {
    refusal: jsonRefusal({ tokenEndpoint: true }),
    unavailable: (failure, request, reply) => {
      request.log.warn({ err: failure.message }, 'token request answered 503: Nextcloud could not be asked');
      return reply
        .code(503)
        .header('retry-after', String(failure.retryAfterSeconds))
        .header('pragma', 'no-cache')
        .send(new OAuthError('temporarily_unavailable', failure.message).toJSON());
    },
  });

  app.post('/oauth/token', { config: { cors: true } }, async (request, reply) => {
    const body = tokenRequest.safeParse(request.body ?? {});
    if (!body.success) throw new OAuthError('invalid_request', 'The token request must be form-encoded, with each parameter once.');
    const params = body.data;
    const client = authenticateClient(store, request, params);
    const { policy, urls } = await endpoints.current(request);
    // A kind of client the admin turned off gets nothing more, whenever it registered (revoking stays open to it).
    const refused = clientKindProblem(client.kind, policy);
    if (refused) throw new OAuthError('invalid_client', refused);
    const grantType = params.grant_type;
    const grant = grantType !== undefined && Object.hasOwn(GRANTS, grantType) ? GRANTS[grantType]! : null;
    if (!grant)
      throw new OAuthError(
        'unsupported_grant_type',
        `grant_type must be ${Object.keys(GRANTS).join(' or ')}${grantType ? `, not ${grantType.slice(0, 50)}` : ''}.`,
      );
    const refreshTtl = client.grantTypes.includes('refresh_token') ? policy.refreshTokenSeconds : null;
    const outcome = await grant(params, { store, eligibility, request, client, policy, urls, refreshTtl });

    // The admin's ceiling applies to every token, including those of grants made before it changed.
    const scopes = outcome.scopes.filter((scope) => isScope(scope) && policy.enabledScopes.includes(scope));
    const accessToken = await signAccessToken(
      keys,
      urls.issuer,
      { userId: outcome.userId, clientId: client.clientId, grantId: outcome.grantId, scopes, resource: outcome.resource },
      policy.accessTokenSeconds,
    );
    store.touchGrant(outcome.grantId);
    request.log.info({ client: client.clientId, user: outcome.userId, grant: grantType }, 'tokens issued');
    return reply.header('pragma', 'no-cache').send({
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: policy.accessTokenSeconds,
      scope: scopes.join(' '),
      ...(outcome.refreshToken ? { refresh_token: outcome.refreshToken } : {}),
    });
  });

  app.post('/oauth/revoke', { config: { cors: true } }, async (request, reply) => {
    const body = revokeRequest.safeParse(request.body ?? {});
    if (!body.success) throw new OAuthError('invalid_request', 'The revocation request must be form-encoded, with each parameter once.');
    const client = authenticateClient(store, request, body.data);
    const token = body.data.token;
    if (!token) throw new OAuthError('invalid_request', 'token is missing.');
    let revoked = store.revokeRefreshToken(token, client.clientId);
    if (!revoked && token.split('.').length === 3) {
      // An access token of ours revokes its whole grant, expired or not, if it belongs to this client.
      const { urls } = await endpoints.current(request);
      const check = await verifyAccessToken(
        keys,
        token,
        { issuers: urls.acceptedIssuers, audiences: urls.acceptedResources },
        { ignoreExpiry: true },
      );
      if (check.ok && check.claims.clientId === client.clientId) revoked = store.revokeGrant(check.claims.grantId, 'revoked by the client');
    }
    request.log.info({ client: client.clientId, revoked }, 'revocation request');
    // RFC 7009 §2.2: the answer is the same whether or not the token was known.
    return reply.send({});
  });
}
