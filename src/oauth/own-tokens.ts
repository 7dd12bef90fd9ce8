// Access tokens this server signed. Their signature is checked once per token (the cache); their grant, the
// admin's client rules and the grant's use are looked at on every request, which is what makes revocation and a
// narrowed policy apply at once.
import { isScope } from '../core/scopes.js';
import type { OAuthStore } from '../store/oauth-store.js';
import { grantPolicyProblem } from './clients.js';
import type { SigningKeys } from './tokens.js';
import { VerifiedAccessTokens } from './tokens.js';
import type { AccessTokenVerifier } from './verifier.js';

/** One cache of verified tokens per signing key, i.e. per app. */
const verified = new WeakMap<SigningKeys, VerifiedAccessTokens>();

/** The verified access tokens of the app that signs with `keys`. */
export function verifiedAccessTokens(keys: SigningKeys): VerifiedAccessTokens {
  let tokens = verified.get(keys);
  if (!tokens) {
    tokens = new VerifiedAccessTokens(keys);
    verified.set(keys, tokens);
  }
  return tokens;
}

/** Recognises every token: whatever no other issuer claimed is judged as one of ours. */
export function ownAccessTokens(keys: SigningKeys, store: OAuthStore): AccessTokenVerifier {
  return {
    async verify(token, { policy, urls, audiences }) {
      const check = await verifiedAccessTokens(keys).verify(token, { issuers: urls.acceptedIssuers, audiences });
      if (!check.ok) return { outcome: 'refused', description: check.description };
      const grant = store.getGrant(check.claims.grantId);
      if (!grant || grant.revokedAt !== null) return { outcome: 'refused', description: 'access was revoked; authorize again' };
      if (grant.userId !== check.claims.userId || grant.clientId !== check.claims.clientId)
        return { outcome: 'refused', description: 'the token does not match its grant' };
      // The admin's client rules apply to tokens already issued, like the scope ceiling.
      const forbidden = grantPolicyProblem(grant, policy);
      if (forbidden) return { outcome: 'refused', description: forbidden };
      store.touchGrant(grant.id);
      return {
        outcome: 'accepted',
        identity: {
          ...check.claims,
          scopes: check.claims.scopes.filter(isScope),
          grantId: grant.id,
          issuer: urls.issuer,
          expiresAt: check.expiresAt,
        },
      };
    },
  };
}
