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
import { createExternalVerifier } from './external-idp.js';
import type { SigningKeys } from './tokens.js';
import { loadSigningKeys } from './tokens.js';
import type { PublicEndpoints } from './urls.js';
import { currentEndpoints } from './urls.js';

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
  forms: FormTokens;
  /** The policy in force and the public URLs of the entrance a request came through (default: the PHP proxy's). */
  current(request?: { headers: IncomingHttpHeaders }): Promise<{ policy: Policy; urls: PublicEndpoints }>;
}

export async function createOAuthContext(deps: {
  config: AppConfig;
  nextcloud: Nextcloud;
  db: Db;
  policy: PolicySource;
  log: FastifyBaseLogger;
  documents?: ClientMetadataFetcher;
}): Promise<OAuthContext> {
  const { config } = deps;
  const store = oauthStore(deps.db, { refreshReuseGraceSeconds: config.refreshReuseGraceSeconds });
  const removed = store.prune();
  if (removed > 0) deps.log.debug({ removed }, 'pruned expired OAuth codes, tokens and consent requests');
  return {
    config,
    nextcloud: deps.nextcloud,
    store,
    keys: await loadSigningKeys(store),
    policy: deps.policy,
    eligibility: eligibilityChecker(deps.nextcloud, { ttlMs: config.policyTtlMs }),
    documents: deps.documents ?? createClientMetadataFetcher(),
    external: config.trustedIssuers.length > 0 ? createExternalVerifier(config.trustedIssuers) : null,
    forms: formTokens(deps.db),
    current: (request) => currentEndpoints(deps.policy, config, request?.headers),
  };
}
