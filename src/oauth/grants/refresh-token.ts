// grant_type=refresh_token (RFC 6749 §6) with rotation: every refresh spends the token and hands out the next one.
import { z } from 'zod';
import { isScope, splitScopeString } from '../../core/scopes.js';
import { matchResource } from '../authorize.js';
import { grantPolicyProblem } from '../clients.js';
import { OAuthError } from '../errors.js';
import type { Grant } from './grant.js';
import { grantParams, required } from './grant.js';

const schema = z.object({
  refresh_token: required('refresh_token is missing.'),
  scope: z.string().optional(),
  resource: z.string().optional(),
});

const REFUSALS = {
  unknown: 'The refresh token is not valid.',
  expired: 'The refresh token has expired; authorize again.',
  wrong_client: 'The refresh token was issued to another client.',
  revoked: 'Access was revoked; authorize again.',
  reused: 'The refresh token was already used; for safety, this access has been revoked. Authorize again.',
} as const;

export const refreshTokenGrant: Grant = async (body, { store, eligibility, request, client, policy, urls, refreshTtl }) => {
  const params = grantParams(schema, body);
  if (!refreshTtl) throw new OAuthError('unauthorized_client', 'This client did not register the refresh_token grant.');
  // What can be refused without spending the token is checked first, so a wrong resource or scope, or a
  // user who is (perhaps only for now) not eligible, leaves the client its refresh token.
  const asked = splitScopeString(params.scope).filter(isScope);
  const holder = store.refreshTokenGrant(params.refresh_token, client.clientId);
  if (holder && holder.revokedAt === null) {
    if (params.resource !== undefined && matchResource(params.resource, urls) !== holder.resource) {
      throw new OAuthError('invalid_target', `The refresh token is bound to ${holder.resource}.`);
    }
    if (asked.some((scope) => !holder.scopes.includes(scope)))
      throw new OAuthError('invalid_scope', 'A refresh may narrow the granted scopes, never widen them.');
    // Refused without spending the token: if the admin widens the policy again, the client carries on.
    const forbidden = grantPolicyProblem(holder, policy);
    if (forbidden) throw new OAuthError('invalid_grant', `Access refused: ${forbidden}`);
    const eligible = await eligibility.check(holder.userId, policy);
    if (!eligible.ok) throw new OAuthError('invalid_grant', `Access refused: ${eligible.reason}.`);
  }
  const rotated = store.rotateRefreshToken(params.refresh_token, client.clientId, refreshTtl);
  if (rotated.status !== 'ok') {
    request.log.warn({ client: client.clientId, outcome: rotated.status }, 'refresh token refused');
    throw new OAuthError('invalid_grant', REFUSALS[rotated.status]);
  }
  const { grant } = rotated;
  return {
    grantId: grant.id,
    userId: grant.userId,
    scopes: asked.length > 0 ? asked : grant.scopes,
    resource: grant.resource,
    refreshToken: rotated.refreshToken,
  };
};
