// /oauth/token (authorization_code with PKCE, refresh_token with rotation) and /oauth/revoke (RFC 7009).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { secretsEqual } from '../core/secrets.js';
import { basicCredentials, isBasic } from '../http/basic-auth.js';
import type { ClientRecord } from '../store/oauth.js';
import { hashSecret } from '../core/secrets.js';
import { matchResource, pkceChallenge } from './authorize.js';
import { clientKindProblem, grantPolicyProblem } from './clients.js';
import type { OAuthContext } from './context.js';
import { OAuthError } from './errors.js';
import { isScope, splitScopeString } from '../core/scopes.js';
import { signAccessToken, verifyAccessToken } from './tokens.js';
import { temporaryFailure } from './unavailable.js';

const field = z.string().max(4096).optional();
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

/** Client authentication: client_secret_basic, client_secret_post, or a public client naming itself. */
export function authenticateClient(oauth: OAuthContext, request: FastifyRequest, body: { client_id?: string; client_secret?: string }): ClientRecord {
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
    if (body.client_id !== undefined && body.client_id !== clientId) throw new OAuthError('invalid_request', 'client_id in the body differs from the Basic credentials.');
  }
  if (!clientId) throw new OAuthError('invalid_client', 'The request names no client (client_id).');
  const client = oauth.store.getClient(clientId);
  if (!client) throw new OAuthError('invalid_client', 'This client is not registered with this server; register it again.');
  if (client.secretHash) {
    if (!secret || !secretsEqual(hashSecret(secret), client.secretHash)) throw new OAuthError('invalid_client', 'The client secret is wrong or missing.');
  }
  return client;
}

function sendTokenError(reply: FastifyReply, error: OAuthError, basicUsed: boolean): FastifyReply {
  if (error.code === 'invalid_client' && basicUsed) reply.header('www-authenticate', 'Basic realm="mcp_gateway"');
  return reply.code(error.status).header('pragma', 'no-cache').send(error.toJSON());
}

export async function tokenRoutes(app: FastifyInstance, { oauth }: { oauth: OAuthContext }): Promise<void> {
  const { store } = oauth;

  // Nextcloud not answering (the account or the policy could not be checked) is "try again", never invalid_grant,
  // which would make the client drop a grant that is still good. Every check that may need Nextcloud runs before a
  // code or refresh token is spent, so the retry finds them unused.
  app.setErrorHandler((error, request, reply) => {
    const failure = temporaryFailure(error);
    if (!failure) throw error;
    request.log.warn({ err: failure.message }, 'token request answered 503: Nextcloud could not be asked');
    return reply
      .code(503)
      .header('retry-after', String(failure.retryAfterSeconds))
      .header('pragma', 'no-cache')
      .send(new OAuthError('temporarily_unavailable', failure.message).toJSON());
  });

  app.post('/oauth/token', { config: { cors: true } }, async (request, reply) => {
    const basicUsed = isBasic(request.headers.authorization);
    try {
      const body = tokenRequest.safeParse(request.body ?? {});
      if (!body.success) throw new OAuthError('invalid_request', 'The token request must be form-encoded, with each parameter once.');
      const params = body.data;
      const client = authenticateClient(oauth, request, params);
      const { policy, urls } = await oauth.current(request);
      // A kind of client the admin turned off gets nothing more, whenever it registered (revoking stays open to it).
      const refused = clientKindProblem(client.kind, policy);
      if (refused) throw new OAuthError('invalid_client', refused);
      const refreshTtl = client.grantTypes.includes('refresh_token') ? policy.refreshTokenSeconds : null;

      let grantOutcome: { grantId: string; userId: string; scopes: string[]; resource: string; refreshToken?: string };
      if (params.grant_type === 'authorization_code') {
        if (!params.code) throw new OAuthError('invalid_request', 'code is missing.');
        if (!params.code_verifier) throw new OAuthError('invalid_request', 'code_verifier is missing; PKCE is required.');
        if (!/^[A-Za-z0-9._~-]{43,128}$/.test(params.code_verifier)) throw new OAuthError('invalid_request', 'code_verifier must be 43-128 characters of A-Z a-z 0-9 - . _ ~.');
        const redeemed = store.redeemCode(params.code, client.clientId, refreshTtl, (code) => {
          if (!secretsEqual(pkceChallenge(params.code_verifier!), code.codeChallenge)) return 'the code_verifier does not match the code_challenge';
          // Identical to the one the code was sent to (RFC 6749 §4.1.3): no loopback port leeway here.
          if (params.redirect_uri !== undefined && params.redirect_uri !== code.redirectUri) return 'redirect_uri differs from the authorization request';
          if (params.resource !== undefined && matchResource(params.resource, urls) !== code.resource) return 'resource differs from the authorization request';
          return null;
        });
        if (redeemed.status !== 'ok') {
          request.log.warn({ client: client.clientId, outcome: redeemed.status }, 'authorization code refused');
          const reasons = {
            unknown: 'The authorization code is not valid.',
            expired: 'The authorization code has expired; authorize again.',
            wrong_client: 'The authorization code was issued to another client.',
            replayed: 'The authorization code was already used; the access it granted has been revoked.',
            rejected: `The authorization code was refused: ${'description' in redeemed ? redeemed.description : ''}; the access it granted has been revoked.`,
          } as const;
          throw new OAuthError('invalid_grant', reasons[redeemed.status]);
        }
        // The policy may have narrowed between consent and this exchange.
        const forbidden = grantPolicyProblem(redeemed.grant, policy);
        if (forbidden) {
          store.revokeGrant(redeemed.grant.id, forbidden);
          throw new OAuthError('invalid_grant', `The authorization is no longer allowed: ${forbidden}`);
        }
        grantOutcome = { grantId: redeemed.grant.id, userId: redeemed.grant.userId, scopes: redeemed.grant.scopes, resource: redeemed.grant.resource, refreshToken: redeemed.refreshToken };
      } else if (params.grant_type === 'refresh_token') {
        if (!params.refresh_token) throw new OAuthError('invalid_request', 'refresh_token is missing.');
        if (!refreshTtl) throw new OAuthError('unauthorized_client', 'This client did not register the refresh_token grant.');
        // What can be refused without spending the token is checked first, so a wrong resource or scope, or a
        // user who is (perhaps only for now) not eligible, leaves the client its refresh token.
        const asked = splitScopeString(params.scope).filter(isScope);
        const holder = store.refreshTokenGrant(params.refresh_token, client.clientId);
        if (holder && holder.revokedAt === null) {
          if (params.resource !== undefined && matchResource(params.resource, urls) !== holder.resource) {
            throw new OAuthError('invalid_target', `The refresh token is bound to ${holder.resource}.`);
          }
          if (asked.some((scope) => !holder.scopes.includes(scope))) throw new OAuthError('invalid_scope', 'A refresh may narrow the granted scopes, never widen them.');
          // Refused without spending the token: if the admin widens the policy again, the client carries on.
          const forbidden = grantPolicyProblem(holder, policy);
          if (forbidden) throw new OAuthError('invalid_grant', `Access refused: ${forbidden}`);
          const eligible = await oauth.eligibility.check(holder.userId, policy);
          if (!eligible.ok) throw new OAuthError('invalid_grant', `Access refused: ${eligible.reason}.`);
        }
        const rotated = store.rotateRefreshToken(params.refresh_token, client.clientId, refreshTtl);
        if (rotated.status !== 'ok') {
          request.log.warn({ client: client.clientId, outcome: rotated.status }, 'refresh token refused');
          const reasons = {
            unknown: 'The refresh token is not valid.',
            expired: 'The refresh token has expired; authorize again.',
            wrong_client: 'The refresh token was issued to another client.',
            revoked: 'Access was revoked; authorize again.',
            reused: 'The refresh token was already used; for safety, this access has been revoked. Authorize again.',
          } as const;
          throw new OAuthError('invalid_grant', reasons[rotated.status]);
        }
        const { grant } = rotated;
        grantOutcome = { grantId: grant.id, userId: grant.userId, scopes: asked.length > 0 ? asked : grant.scopes, resource: grant.resource, refreshToken: rotated.refreshToken };
      } else {
        throw new OAuthError('unsupported_grant_type', `grant_type must be authorization_code or refresh_token${params.grant_type ? `, not ${params.grant_type.slice(0, 50)}` : ''}.`);
      }

      // The admin's ceiling applies to every token, including those of grants made before it changed.
      const scopes = grantOutcome.scopes.filter((scope) => isScope(scope) && policy.enabledScopes.includes(scope));
      const accessToken = await signAccessToken(
        oauth.keys,
        urls.issuer,
        { userId: grantOutcome.userId, clientId: client.clientId, grantId: grantOutcome.grantId, scopes, resource: grantOutcome.resource },
        policy.accessTokenSeconds,
      );
      store.touchGrant(grantOutcome.grantId);
      request.log.info({ client: client.clientId, user: grantOutcome.userId, grant: params.grant_type }, 'tokens issued');
      return reply.header('pragma', 'no-cache').send({
        access_token: accessToken,
        token_type: 'Bearer',
        expires_in: policy.accessTokenSeconds,
        scope: scopes.join(' '),
        ...(grantOutcome.refreshToken ? { refresh_token: grantOutcome.refreshToken } : {}),
      });
    } catch (error) {
      if (error instanceof OAuthError) return sendTokenError(reply, error, basicUsed);
      throw error;
    }
  });

  app.post('/oauth/revoke', { config: { cors: true } }, async (request, reply) => {
    const basicUsed = isBasic(request.headers.authorization);
    try {
      const body = revokeRequest.safeParse(request.body ?? {});
      if (!body.success) throw new OAuthError('invalid_request', 'The revocation request must be form-encoded, with each parameter once.');
      const client = authenticateClient(oauth, request, body.data);
      const token = body.data.token;
      if (!token) throw new OAuthError('invalid_request', 'token is missing.');
      let revoked = store.revokeRefreshToken(token, client.clientId);
      if (!revoked && token.split('.').length === 3) {
        // An access token of ours revokes its whole grant, expired or not, if it belongs to this client.
        const { urls } = await oauth.current(request);
        const check = await verifyAccessToken(oauth.keys, token, { issuers: urls.acceptedIssuers, audiences: urls.acceptedResources }, { ignoreExpiry: true });
        if (check.ok && check.claims.clientId === client.clientId) revoked = store.revokeGrant(check.claims.grantId, 'revoked by the client');
      }
      request.log.info({ client: client.clientId, revoked }, 'revocation request');
      // RFC 7009 §2.2: the answer is the same whether or not the token was known.
      return reply.send({});
    } catch (error) {
      if (error instanceof OAuthError) return sendTokenError(reply, error, basicUsed);
      throw error;
    }
  });
}
