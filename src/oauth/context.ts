// Builds the OAuth services once per app: they share one store and its signing keys, so they are made together.
// The composition root hands each plugin only the few of them it uses.
import type { FastifyBaseLogger } from 'fastify';
import type { Nextcloud } from '../../lib/index.js';
import type { AppConfig } from '../config.js';
import type { PolicySource } from '../policy/policy.js';
import type { Db } from '../store/database.js';
import { sqliteOAuthStore } from '../store/sqlite-oauth-store.js';
import type { ClientMetadataFetcher } from './client-metadata-document.js';
import { createClientMetadataFetcher } from './client-metadata-document.js';
import { formTokens } from './csrf.js';
import { eligibilityChecker } from './eligibility.js';
import { createExternalVerifier, externalAccessTokens } from './external-idp.js';
import { ownAccessTokens } from './own-tokens.js';
import type { AnonymousLimits } from './rate-limit.js';
import { defaultAnonymousLimits } from './rate-limit.js';
import { loadSigningKeys } from './tokens.js';
import type { AccessTokenVerifier } from './verifier.js';
import { endpointSource } from '../http/urls.js';

export type OAuthContext = Awaited<ReturnType<typeof createOAuthContext>>;

export async function createOAuthContext(deps: {
  config: AppConfig;
  nextcloud: Nextcloud;
  db: Db;
  policy: PolicySource;
  log: FastifyBaseLogger;
  documents?: ClientMetadataFetcher;
  limits?: AnonymousLimits;
}) {
  const { config } = deps;
  const store = sqliteOAuthStore(deps.db, { refreshReuseGraceSeconds: config.refreshReuseGraceSeconds });
  const removed = store.prune();
  if (removed > 0) deps.log.debug({ removed }, 'pruned expired OAuth codes, tokens and consent requests');
  const keys = await loadSigningKeys(store);
  const external = config.trustedIssuers.length > 0 ? createExternalVerifier(config.trustedIssuers) : null;
  const verifiers: readonly AccessTokenVerifier[] = [...(external ? [externalAccessTokens(external)] : []), ownAccessTokens(keys, store)];
  return {
    store,
    keys,
    eligibility: eligibilityChecker(deps.nextcloud, { ttlMs: config.policyTtlMs }),
    documents: deps.documents ?? createClientMetadataFetcher(),
    /** Null unless the admin configured trusted external issuers. */
    external,
    /** Who judges a bearer token, asked in order: the trusted external providers, then this server's own tokens. */
    verifiers,
    forms: formTokens(deps.db),
    /** What one source address may make the server store without signing in. */
    limits: deps.limits ?? defaultAnonymousLimits(),
    endpoints: endpointSource(deps.policy, config),
  };
}
