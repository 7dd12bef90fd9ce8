// Access tokens come from more than one issuer (this server, an external OpenID provider the admin trusts). Each
// kind is checked by its own verifier; the bearer check asks them in turn, and the first that recognises a token
// decides about it, so one issuer's refusal is never overruled by another's acceptance.
import type { Policy } from '../policy/policy.js';
import type { Scope } from '../core/scopes.js';
import type { PublicEndpoints } from '../http/urls.js';
import type { AccountFacts } from './eligibility.js';

export interface McpIdentity {
  userId: string;
  clientId: string;
  /** Granted scopes within the admin's current ceiling. */
  scopes: Scope[];
  /** The grant of a token issued here; null for an external provider's token. */
  grantId: string | null;
  issuer: string;
  expiresAt: number;
  /** The account as the eligibility check of this request saw it (at most the policy TTL old). */
  account?: AccountFacts;
}

/** What a token is checked against: the policy in force, and the resource URLs it must have been issued for. */
export interface VerifyContext {
  policy: Policy;
  urls: PublicEndpoints;
  audiences: string[];
}

export type TokenVerdict =
  | { outcome: 'accepted'; identity: McpIdentity }
  | { outcome: 'refused'; description: string }
  /** Not a token of this verifier's issuer: the next verifier decides. */
  | { outcome: 'not_mine' };

export interface AccessTokenVerifier {
  verify(token: string, context: VerifyContext): Promise<TokenVerdict>;
}

/** The verdict of the first verifier that recognises the token. */
export async function verifyWithChain(
  verifiers: readonly AccessTokenVerifier[],
  token: string,
  context: VerifyContext,
): Promise<Exclude<TokenVerdict, { outcome: 'not_mine' }>> {
  for (const verifier of verifiers) {
    const verdict = await verifier.verify(token, context);
    if (verdict.outcome !== 'not_mine') return verdict;
  }
  return { outcome: 'refused', description: 'the token is not one this server accepts' };
}
