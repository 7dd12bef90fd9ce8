// Everything the OAuth routes and the bearer check share, built once per app.
import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import type { Nextcloud } from '../../lib/index.js';
import type { AppConfig } from '../config.js';
import type { Policy, PolicySource } from '../policy/policy.js';
import type { Db } from '../store/database.js';
import type { OAuthStore } from '../store/oauth.js';
import { oauthStore } from '../store/oauth.js';
import type { ClientMetadataFetcher } from './client-metadata-document.js';
import { createClientMetadataFetcher } from './client-metadata-document.js';
import type { FormTokens } from './csrf.js';
import { formTokens } from './csrf.js';
import type { EligibilityChecker } from './eligibility.js';
import { eligibilityChecker } from './eligibility.js';
import type { ExternalVerifier } from './external-idp.js';
import { createExternalVerifier, externalAccessTokens } from './external-idp.js';
import { ownAccessTokens } from './own-tokens.js';
import type { RateLimiter } from './rate-limit.js';
import { rateLimiter } from './rate-limit.js';
import type { SigningKeys } from './tokens.js';
import { loadSigningKeys } from './tokens.js';
import type { AccessTokenVerifier } from './verifier.js';
import type { PublicEndpoints } from '../http/urls.js';
import { currentEndpoints } from '../http/urls.js';

export interface OAuthContext {
  config: AppConfig;
  nextcloud: Nextcloud;
  store: OAuthStore;
  keys: SigningKeys;
  policy: PolicySource;
  eligibility: EligibilityChecker;
  documents: ClientMetadataFetcher;
  /** Null unless the admin configured trusted external issuers. */
  external: ExternalVerifier | null;
  /** Who judges a bearer token, asked in order: the trusted external providers, then this server's own tokens. */
  verifiers: readonly AccessTokenVerifier[];
  forms: FormTokens;
  /** What one source address may make the server store without signing in. */
  limits: AnonymousLimits;
  /** The policy in force and the public URLs of the entrance a request came through (default: the PHP proxy's). */
  current(request?: { headers: IncomingHttpHeaders }): Promise<{ policy: Policy; urls: PublicEndpoints }>;
}

export interface AnonymousLimits {
  registrations: RateLimiter;
  /** Authorization requests kept while a person signs in to Nextcloud. */
  signIns: RateLimiter;
  /** Registered clients that never obtained a grant; beyond this the oldest go. */
  maxUnclaimedClients: number;
}

/**
 * A flood from one address stops after a burst; ChatGPT and Claude, whose users all share a few addresses and which
 * register a client on every fresh connection, stay well inside it.
 */
export function defaultAnonymousLimits(): AnonymousLimits {
  return {
    registrations: rateLimiter({ burst: 60, perMinute: 30 }),
    signIns: rateLimiter({ burst: 120, perMinute: 60 }),
    maxUnclaimedClients: 2000,
  };
}

export async function createOAuthContext(deps: {
  config: AppConfig;
  nextcloud: Nextcloud;
  db: Db;
  policy: PolicySource;
  log: FastifyBaseLogger;
  documents?: ClientMetadataFetcher;
  limits?: AnonymousLimits;
}): Promise<OAuthContext> {
  const { config } = deps;
  const store = oauthStore(deps.db, { refreshReuseGraceSeconds: config.refreshReuseGraceSeconds });
  const removed = store.prune();
  if (removed > 0) deps.log.debug({ removed }, 'pruned expired OAuth codes, tokens and consent requests');
  const keys = await loadSigningKeys(store);
  const external = config.trustedIssuers.length > 0 ? createExternalVerifier(config.trustedIssuers) : null;
  return {
    config,
    nextcloud: deps.nextcloud,
    store,
    keys,
    policy: deps.policy,
    eligibility: eligibilityChecker(deps.nextcloud, { ttlMs: config.policyTtlMs }),
    documents: deps.documents ?? createClientMetadataFetcher(),
    external,
    verifiers: [...(external ? [externalAccessTokens(external)] : []), ownAccessTokens(keys, store)],
    forms: formTokens(deps.db),
    limits: deps.limits ?? defaultAnonymousLimits(),
    current: (request) => currentEndpoints(deps.policy, config, request?.headers),
  };
}
