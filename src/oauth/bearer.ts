// The resource-server check in front of every MCP endpoint. It runs before any method dispatch, so a client
// without a valid token always gets the 401 challenge that starts its OAuth flow (contract §0.2, §1.9). What
// passes on is only the verified identity; the client's token goes no further.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PolicyUnavailableError } from '../policy/policy.js';
import { grantPolicyProblem } from './clients.js';
import type { OAuthContext } from './context.js';
import type { AccountFacts } from './eligibility.js';
import { AccountCheckUnavailableError } from './eligibility.js';
import type { Scope } from '../core/scopes.js';
import { formatScopes, isScope } from '../core/scopes.js';
import type { SigningKeys } from './tokens.js';
import { VerifiedAccessTokens } from './tokens.js';
import type { McpPath, PublicEndpoints } from '../http/urls.js';

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

type Verdict = { ok: true; identity: McpIdentity } | { ok: false; error?: 'invalid_token'; description: string };

const quoted = (value: string) => value.replaceAll('\\', '\\\\').replaceAll('"', '\\"');

function challenge(resourceMetadata: string, scopes: readonly string[], error?: { code: string; description: string }): string {
  const parts = [];
  if (error) parts.push(`error="${error.code}"`, `error_description="${quoted(error.description)}"`);
  parts.push(`resource_metadata="${resourceMetadata}"`);
  if (scopes.length > 0) parts.push(`scope="${formatScopes(scopes)}"`);
  return `Bearer ${parts.join(', ')}`;
}

type Current = Awaited<ReturnType<OAuthContext['current']>>;

/** A token is accepted only at the resource it was issued for: this entrance's URL for this MCP path. */
async function verify(oauth: OAuthContext, token: string, { policy, urls }: Current, path: McpPath): Promise<Verdict> {
  let identity: McpIdentity;
  const audiences = urls.audiencesOf(path);
  const external = oauth.external ? await oauth.external.verify(token, audiences) : null;
  if (external?.ok) {
    identity = { userId: external.userId, clientId: external.clientId ?? external.issuer, scopes: external.scopes, grantId: null, issuer: external.issuer, expiresAt: external.expiresAt };
  } else if (external && external.reason === 'invalid_token') {
    return { ok: false, error: 'invalid_token', description: external.description };
  } else {
    const check = await verifiedAccessTokens(oauth.keys).verify(token, { issuers: urls.acceptedIssuers, audiences });
    if (!check.ok) return { ok: false, error: 'invalid_token', description: check.description };
    const grant = oauth.store.getGrant(check.claims.grantId);
    // The grant lookup is what makes revocation immediate for tokens that have not expired yet.
    if (!grant || grant.revokedAt !== null) return { ok: false, error: 'invalid_token', description: 'access was revoked; authorize again' };
    if (grant.userId !== check.claims.userId || grant.clientId !== check.claims.clientId) return { ok: false, error: 'invalid_token', description: 'the token does not match its grant' };
    // The admin's client rules apply to tokens already issued, like the scope ceiling below.
    const forbidden = grantPolicyProblem(grant, policy);
    if (forbidden) return { ok: false, error: 'invalid_token', description: forbidden };
    oauth.store.touchGrant(grant.id);
    identity = { ...check.claims, scopes: check.claims.scopes.filter(isScope), grantId: grant.id, issuer: urls.issuer, expiresAt: check.expiresAt };
  }
  const eligible = await oauth.eligibility.check(identity.userId, policy);
  if (!eligible.ok) return { ok: false, error: 'invalid_token', description: eligible.reason };
  // What the check just read about the account, so a tool need not ask Nextcloud again (whoami).
  identity.account = oauth.eligibility.known(identity.userId);
  // The ceiling applies on every request, so a scope the admin turns off vanishes from tokens already issued.
  identity.scopes = identity.scopes.filter((scope) => policy.enabledScopes.includes(scope));
  return { ok: true, identity };
}

/**
 * "Try again shortly" for an MCP client: 503 with Retry-After and a JSON-RPC error it can show, never the 401 that
 * would make it discard a valid token. The id is the request's own when the body is a single request.
 */
function temporarilyUnavailable(request: FastifyRequest, reply: FastifyReply, message: string, retryAfterSeconds: number): void {
  request.log.warn({ reason: message }, 'MCP request answered 503: Nextcloud could not be asked');
  const id = (request.body as { id?: unknown } | undefined)?.id;
  void reply
    .code(503)
    .header('retry-after', String(retryAfterSeconds))
    .send({ jsonrpc: '2.0', error: { code: -32000, message }, id: typeof id === 'string' || typeof id === 'number' ? id : null });
}

/**
 * Authenticates a request to one MCP URL: the identity, with the policy and URLs it was checked against. On failure
 * it has already answered (401 with the challenge naming this URL's resource metadata, or 503 when the policy
 * or the account cannot be checked with Nextcloud right now) and returns null.
 */
export async function authenticateMcpRequest(
  oauth: OAuthContext,
  request: FastifyRequest,
  reply: FastifyReply,
  path: McpPath,
): Promise<({ identity: McpIdentity } & Current) | null> {
  let current: Current;
  try {
    current = await oauth.current(request);
  } catch (error) {
    if (error instanceof PolicyUnavailableError) {
      temporarilyUnavailable(request, reply, error.message, 5);
      return null;
    }
    throw error;
  }
  const header = request.headers.authorization ?? '';
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
  let verdict: Verdict;
  if (!header) verdict = { ok: false, description: 'this endpoint needs an OAuth access token' };
  else if (!match) verdict = { ok: false, error: 'invalid_token', description: 'the Authorization header is not a Bearer token' };
  else {
    try {
      verdict = await verify(oauth, match[1]!, current, path);
    } catch (error) {
      if (!(error instanceof AccountCheckUnavailableError)) throw error;
      temporarilyUnavailable(request, reply, error.message, error.retryAfterSeconds);
      return null;
    }
  }
  if (verdict.ok) return { identity: verdict.identity, ...current };
  request.log.info({ reason: verdict.description }, 'MCP request without a valid access token');
  // RFC 6750 §3: no error code when the request carried no credentials at all.
  const error = verdict.error ? { code: verdict.error, description: verdict.description } : undefined;
  reply
    .code(401)
    .header('www-authenticate', challenge(current.urls.resourceMetadataOf(path), current.policy.enabledScopes, error))
    .send({ error: verdict.error ?? 'invalid_request', error_description: verdict.description });
  return null;
}

/**
 * Answers 403 insufficient_scope when the identity lacks a scope, naming every scope needed (the granted ones
 * too), so the client can step up with one new authorization (contract §1.7). Returns whether the call may go on.
 */
export function requireScopes(urls: PublicEndpoints, path: McpPath, identity: McpIdentity, needed: readonly Scope[], reply: FastifyReply): boolean {
  const missing = needed.filter((scope) => !identity.scopes.includes(scope));
  if (missing.length === 0) return true;
  const all = [...new Set([...identity.scopes, ...needed])];
  const description = `this needs ${formatScopes(missing)}, which the grant does not include`;
  reply
    .code(403)
    .header('www-authenticate', challenge(urls.resourceMetadataOf(path), all, { code: 'insufficient_scope', description }))
    .send({ error: 'insufficient_scope', error_description: description });
  return false;
}
