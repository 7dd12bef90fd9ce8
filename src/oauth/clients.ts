// OAuth clients: dynamic registration (RFC 7591), client ID metadata documents, and the rules every client is
// held to, whenever it registered: the admin's redirect URI rules and the kinds of client the admin accepts are
// checked at authorize, token, refresh and on every MCP request, so narrowing them applies at once.
import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Policy } from '../policy/policy.js';
import { checkRedirectUri } from '../policy/redirect-uris.js';
import type { ClientRecord, GrantRecord, OAuthStore } from '../store/oauth-store.js';
import { hashSecret } from '../core/secrets.js';
import type { ClientMetadataFetcher } from './client-metadata-document.js';
import { OAuthError } from './errors.js';
import { isLoopbackHttp } from '../core/loopback.js';
import { issueText } from '../../lib/zod-issues.js';

/** Why a redirect URI is not acceptable under the admin's rules, or null when it is. */
export function redirectUriProblem(uri: string, policy: Pick<Policy, 'redirectRules'>): string | null {
  const verdict = checkRedirectUri(uri, policy.redirectRules);
  return verdict.ok ? null : verdict.problem;
}

/** Registered client ids are never URLs; a client id that is a URL names a metadata document. */
export function clientKindOf(clientId: string): ClientRecord['kind'] {
  return /^https?:\/\//i.test(clientId) ? 'document' : 'dynamic';
}

/** Why the admin's policy refuses this kind of client now, or null. */
export function clientKindProblem(kind: ClientRecord['kind'], policy: Policy): string | null {
  if (kind === 'document' && !policy.clientMetadataDocuments)
    return 'Clients identified by a metadata document URL are turned off by the administrator of this Nextcloud.';
  if (kind === 'dynamic' && !policy.dynamicRegistration)
    return 'Clients that registered themselves are turned off by the administrator of this Nextcloud.';
  return null;
}

/**
 * Why a grant may no longer be used under the policy in force (its kind of client turned off, or the redirect URI
 * it was given through no longer allowed), or null. Nothing is revoked: widening the policy again restores it.
 */
export function grantPolicyProblem(grant: Pick<GrantRecord, 'clientId' | 'redirectUri'>, policy: Policy): string | null {
  const kind = clientKindProblem(clientKindOf(grant.clientId), policy);
  if (kind) return kind;
  const redirect = redirectUriProblem(grant.redirectUri, policy);
  return redirect && `the app's redirect URI is no longer allowed: ${redirect}`;
}

/**
 * Whether an error may be sent to this redirect URI without asking the person first (RFC 9700 §4.11.2): when the
 * admin lists the URI exactly, or when this person already consented to this client returning there. A URI anyone
 * could register (a loopback port, a path under a prefix or host) is not trusted on its own.
 */
export function redirectTrusted(
  store: OAuthStore,
  client: ClientRecord,
  redirectUri: string,
  policy: Policy,
  userId: string | null,
): boolean {
  const verdict = checkRedirectUri(redirectUri, policy.redirectRules);
  if (!verdict.ok) return false;
  if (verdict.rule.kind === 'exact') return true;
  return (
    userId !== null && store.activeGrants(userId).some((grant) => grant.clientId === client.clientId && grant.redirectUri === redirectUri)
  );
}

/** Exact string match; for loopback URIs the port may differ (RFC 8252 §7.3), everything else may not. */
export function redirectUriMatches(registered: string, requested: string): boolean {
  if (registered === requested) return true;
  let a: URL;
  let b: URL;
  try {
    a = new URL(registered);
    b = new URL(requested);
  } catch {
    return false;
  }
  if (!isLoopbackHttp(a) || !isLoopbackHttp(b)) return false;
  // Compare the rest of the string as given, not as the URL parser normalised it.
  const withoutPort = (uri: string, url: URL) => uri.replace(`${url.protocol}//${url.host}`, `${url.protocol}//${url.hostname}`);
  return a.hostname === b.hostname && withoutPort(registered, a) === withoutPort(requested, b);
}

const AUTH_METHODS = ['none', 'client_secret_basic', 'client_secret_post'] as const;
/** What discovery offers: client_secret_basic cannot pass Nextcloud's PHP proxy (see metadata.ts). */
export const ADVERTISED_AUTH_METHODS = ['none', 'client_secret_post'] as const;

const shortText = (max: number) => z.string().max(max, `must be at most ${max} characters`);

/**
 * RFC 7591 client metadata: only what this server uses is read and stored, each field capped; anything else a client
 * sends is dropped (RFC 7591 §3.2.1 lets the server ignore metadata), so registering stores a few hundred bytes.
 */
export const registrationSchema = z.object({
  redirect_uris: z.array(shortText(1000)).min(1, 'at least one redirect URI is required').max(10, 'at most 10 redirect URIs'),
  client_name: z.string().trim().min(1).max(200).optional(),
  token_endpoint_auth_method: z
    .enum(AUTH_METHODS, { error: `token_endpoint_auth_method must be one of ${AUTH_METHODS.join(', ')}` })
    .optional(),
  grant_types: z.array(shortText(100)).max(10).optional(),
  response_types: z.array(shortText(100)).max(10).optional(),
});

export interface Registration {
  client: ClientRecord;
  /** Only when the client authenticates with a secret; shown once, stored as a hash. */
  clientSecret: string | null;
}

export function registerClient(store: OAuthStore, body: unknown, policy: Policy): Registration {
  const refused = clientKindProblem('dynamic', policy);
  if (refused) throw new OAuthError('access_denied', refused, 403);
  const parsed = registrationSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new OAuthError(issue.path[0] === 'redirect_uris' ? 'invalid_redirect_uri' : 'invalid_client_metadata', issueText(issue));
  }
  const metadata = parsed.data;
  for (const uri of metadata.redirect_uris) {
    const problem = redirectUriProblem(uri, policy);
    if (problem) throw new OAuthError('invalid_redirect_uri', problem);
  }
  const grantTypes = metadata.grant_types ?? ['authorization_code', 'refresh_token'];
  const unsupported = grantTypes.filter((grant) => grant !== 'authorization_code' && grant !== 'refresh_token');
  if (!grantTypes.includes('authorization_code') || unsupported.length > 0) {
    throw new OAuthError(
      'invalid_client_metadata',
      `grant_types may only hold authorization_code and refresh_token (got ${grantTypes.join(', ').slice(0, 200)})`,
    );
  }
  if (metadata.response_types && metadata.response_types.some((type) => type !== 'code')) {
    throw new OAuthError('invalid_client_metadata', 'response_types may only hold "code"');
  }
  // RFC 7591 would default to client_secret_basic; MCP clients that omit it are public clients in practice. A
  // client asking for client_secret_basic gets client_secret_post (RFC 7591 §3.2.1 lets the server choose): a
  // Basic header would be taken by Nextcloud for a failed login before it reached this app.
  const method =
    metadata.token_endpoint_auth_method === 'client_secret_basic' ? 'client_secret_post' : (metadata.token_endpoint_auth_method ?? 'none');
  const clientSecret = method === 'none' ? null : randomBytes(32).toString('base64url');
  const client = store.insertClient({
    clientId: `mcp-${randomUUID()}`,
    kind: 'dynamic',
    clientName: metadata.client_name ?? new URL(metadata.redirect_uris[0]!).hostname,
    redirectUris: [...new Set(metadata.redirect_uris)],
    grantTypes: [...new Set(grantTypes)],
    tokenEndpointAuthMethod: method,
    secretHash: clientSecret && hashSecret(clientSecret),
  });
  return { client, clientSecret };
}

/**
 * Finds the client named in an authorization or token request: a registered one from the store, or one whose
 * client_id is the URL of its metadata document (fetched, checked against the policy, and remembered).
 */
export async function resolveClient(
  store: OAuthStore,
  documents: ClientMetadataFetcher,
  clientId: string,
  policy: Policy,
): Promise<ClientRecord> {
  const kind = clientKindOf(clientId);
  const refused = clientKindProblem(kind, policy);
  if (refused) throw new OAuthError('invalid_client', refused);
  // The fetcher decides whether a metadata document URL is an acceptable one (https, a path, a public address).
  if (kind === 'dynamic') {
    const client = store.getClient(clientId);
    if (!client || client.kind !== 'dynamic')
      throw new OAuthError('invalid_client', `The client ${clientId.slice(0, 100)} is not registered with this server. Register it again.`);
    return client;
  }
  const outcome = await documents.fetch(clientId);
  if (!outcome.ok) throw new OAuthError('invalid_client', outcome.description);
  const document = outcome.document;
  const redirectUris = document.redirect_uris.filter((uri) => redirectUriProblem(uri, policy) === null);
  if (redirectUris.length === 0) {
    throw new OAuthError(
      'invalid_client',
      `None of the redirect URIs of ${clientId} is allowed here: ${redirectUriProblem(document.redirect_uris[0]!, policy)}`,
    );
  }
  const grantTypes = (document.grant_types ?? ['authorization_code']).filter(
    (grant) => grant === 'authorization_code' || grant === 'refresh_token',
  );
  return store.insertClient({
    clientId,
    kind: 'document',
    clientName: document.client_name,
    redirectUris,
    grantTypes: grantTypes.includes('authorization_code') ? grantTypes : ['authorization_code', ...grantTypes],
    // Metadata documents describe public clients here: private_key_jwt is not offered, so they use none.
    tokenEndpointAuthMethod: 'none',
    secretHash: null,
  });
}
