// grant_type=authorization_code (RFC 6749 §4.1.3) with PKCE (RFC 7636): a one-time code for the grant it was
// issued for, to the client it was issued to.
import { z } from 'zod';
import { secretsEqual } from '../../core/secrets.js';
import { matchResource, pkceChallenge } from '../authorize.js';
import { grantPolicyProblem } from '../clients.js';
import { OAuthError } from '../errors.js';
import type { Grant } from './grant.js';
import { grantParams, required } from './grant.js';

const schema = z.object({
  code: required('code is missing.'),
  code_verifier: required('code_verifier is missing; PKCE is required.').regex(/^[A-Za-z0-9._~-]{43,128}$/, {
    error: 'code_verifier must be 43-128 characters of A-Z a-z 0-9 - . _ ~.',
  }),
  redirect_uri: z.string().optional(),
  resource: z.string().optional(),
});

const REFUSALS = {
  unknown: 'The authorization code is not valid.',
  expired: 'The authorization code has expired; authorize again.',
  wrong_client: 'The authorization code was issued to another client.',
  replayed: 'The authorization code was already used; the access it granted has been revoked.',
} as const;

export const authorizationCodeGrant: Grant = async (body, { store, request, client, policy, urls, refreshTtl }) => {
  const params = grantParams(schema, body);
  const redeemed = store.redeemCode(params.code, client.clientId, refreshTtl, (code) => {
    if (!secretsEqual(pkceChallenge(params.code_verifier), code.codeChallenge))
      return 'the code_verifier does not match the code_challenge';
    // Identical to the one the code was sent to (RFC 6749 §4.1.3): no loopback port leeway here.
    if (params.redirect_uri !== undefined && params.redirect_uri !== code.redirectUri)
      return 'redirect_uri differs from the authorization request';
    if (params.resource !== undefined && matchResource(params.resource, urls) !== code.resource)
      return 'resource differs from the authorization request';
    return null;
  });
  if (redeemed.status !== 'ok') {
    request.log.warn({ client: client.clientId, outcome: redeemed.status }, 'authorization code refused');
    throw new OAuthError(
      'invalid_grant',
      redeemed.status === 'rejected'
        ? `The authorization code was refused: ${redeemed.description}; the access it granted has been revoked.`
        : REFUSALS[redeemed.status],
    );
  }
  // The policy may have narrowed between consent and this exchange.
  const forbidden = grantPolicyProblem(redeemed.grant, policy);
  if (forbidden) {
    store.revokeGrant(redeemed.grant.id, forbidden);
    throw new OAuthError('invalid_grant', `The authorization is no longer allowed: ${forbidden}`);
  }
  const { grant } = redeemed;
  return { grantId: grant.id, userId: grant.userId, scopes: grant.scopes, resource: grant.resource, refreshToken: redeemed.refreshToken };
};
