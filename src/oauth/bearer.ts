// The resource-server check in front of every MCP endpoint. It runs before any method dispatch, so a client
// without a valid token always gets the 401 challenge that starts its OAuth flow (contract §0.2, §1.9). What
// passes on is only the verified identity; the client's token goes no further.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PolicyUnavailableError } from '../policy/policy.js';
import type { EligibilityChecker } from './eligibility.js';
import { AccountCheckUnavailableError } from './eligibility.js';
import type { Scope } from '../core/scopes.js';
import { formatScopes } from '../core/scopes.js';
import type { EndpointSource, McpPath, PublicEndpoints } from '../http/urls.js';
import type { AccessTokenVerifier, McpIdentity } from './verifier.js';
import { verifyWithChain } from './verifier.js';

export type { McpIdentity } from './verifier.js';
export { verifiedAccessTokens } from './own-tokens.js';

type Verdict = { ok: true; identity: McpIdentity } | { ok: false; error?: 'invalid_token'; description: string };

const quoted = (value: string) => value.replaceAll('\\', '\\\\').replaceAll('"', '\\"');

function challenge(resourceMetadata: string, scopes: readonly string[], error?: { code: string; description: string }): string {
  const parts = [];
  if (error) parts.push(`error="${error.code}"`, `error_description="${quoted(error.description)}"`);
  parts.push(`resource_metadata="${resourceMetadata}"`);
  if (scopes.length > 0) parts.push(`scope="${formatScopes(scopes)}"`);
  return `Bearer ${parts.join(', ')}`;
}

/** What the token check consults. */
export interface BearerCheck {
  verifiers: readonly AccessTokenVerifier[];
  eligibility: EligibilityChecker;
  endpoints: EndpointSource;
}

type Current = Awaited<ReturnType<EndpointSource['current']>>;

/** A token is accepted only at the resource it was issued for: this entrance's URL for this MCP path. */
async function verify({ verifiers, eligibility }: BearerCheck, token: string, { policy, urls }: Current, path: McpPath): Promise<Verdict> {
  const verdict = await verifyWithChain(verifiers, token, { policy, urls, audiences: urls.audiencesOf(path) });
  if (verdict.outcome === 'refused') return { ok: false, error: 'invalid_token', description: verdict.description };
  const { identity } = verdict;
  const eligible = await eligibility.check(identity.userId, policy);
  if (!eligible.ok) return { ok: false, error: 'invalid_token', description: eligible.reason };
  // What the check just read about the account, so a tool need not ask Nextcloud again (whoami).
  identity.account = eligibility.known(identity.userId);
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
  check: BearerCheck,
  request: FastifyRequest,
  reply: FastifyReply,
  path: McpPath,
): Promise<({ identity: McpIdentity } & Current) | null> {
  let current: Current;
  try {
    current = await check.endpoints.current(request);
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
      verdict = await verify(check, match[1]!, current, path);
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
export function requireScopes(
  urls: PublicEndpoints,
  path: McpPath,
  identity: McpIdentity,
  needed: readonly Scope[],
  reply: FastifyReply,
): boolean {
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
