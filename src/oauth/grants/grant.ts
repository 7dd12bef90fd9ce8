// What every grant type of the token endpoint is given and gives back. The endpoint authenticates the client and
// reads the policy once; a grant checks its own parameters (its schema) and yields the grant the tokens are for.
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Policy } from '../../policy/policy.js';
import type { ClientRecord, OAuthStore } from '../../store/oauth-store.js';
import type { PublicEndpoints } from '../../http/urls.js';
import type { EligibilityChecker } from '../eligibility.js';
import { OAuthError } from '../errors.js';
import { issueText } from '../../../lib/zod-issues.js';

export interface GrantRequest {
  store: OAuthStore;
  eligibility: EligibilityChecker;
  request: FastifyRequest;
  client: ClientRecord;
  policy: Policy;
  urls: PublicEndpoints;
  /** Lifetime of a refresh token for this client; null when it did not register the refresh_token grant. */
  refreshTtl: number | null;
}

export interface GrantOutcome {
  grantId: string;
  userId: string;
  scopes: string[];
  resource: string;
  refreshToken?: string;
}

export type Grant = (body: unknown, context: GrantRequest) => Promise<GrantOutcome>;

/** A parameter the grant cannot do without; an empty one is as good as missing. */
export const required = (message: string) => z.string({ error: message }).min(1, { error: message });

/** The grant's parameters, or invalid_request naming the first one that is missing or malformed. */
export function grantParams<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new OAuthError('invalid_request', issueText(parsed.error.issues[0]!));
  return parsed.data;
}
