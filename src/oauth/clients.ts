// OAuth clients: dynamic registration (RFC 7591), client ID metadata documents, and the redirect URI rules
// (an admin policy on hosts when a client registers, exact matching afterwards, any port for loopback).
import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Policy } from '../policy/policy.js';
import type { ClientRecord, OAuthStore } from '../store/oauth.js';
import { hashSecret } from '../store/oauth.js';
import type { ClientMetadataFetcher } from './client-metadata-document.js';
import { OAuthError } from './errors.js';
import { isLoopbackHttp } from './loopback.js';


/** Why a redirect URI is not acceptable under the admin's host policy, or null when it is. */
export function redirectUriProblem(uri: string, allowedHosts: readonly string[]): string | null {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return `${uri} is not an absolute URL`;
  }
  if (url.hash || uri.includes('#')) return `${uri} has a fragment; redirect URIs may not`;
  if (url.username || url.password) return `${uri} carries credentials`;
  if (isLoopbackHttp(url)) return allowedHosts.includes('loopback') ? null : 'loopback redirect URIs are not allowed by the administrator';
  if (url.protocol !== 'https:') return `${uri} is neither https nor a loopback address (http://127.0.0.1, http://[::1], http://localhost)`;
  if (url.port) return `${uri} names a port; only loopback redirect URIs may`;
  if (!allowedHosts.includes(url.hostname)) return `redirects to ${url.hostname} are not allowed by the administrator (allowed: ${allowedHosts.join(', ')})`;
  return null;
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

/** RFC 7591 client metadata, as much of it as this server uses; other fields are kept but not trusted. */
export const registrationSchema = z.looseObject({
  redirect_uris: z.array(z.string().max(2000)).min(1, 'at least one redirect URI is required').max(10, 'at most 10 redirect URIs'),
  client_name: z.string().trim().min(1).max(200).optional(),
  token_endpoint_auth_method: z.enum(AUTH_METHODS, { error: `token_endpoint_auth_method must be one of ${AUTH_METHODS.join(', ')}` }).optional(),
  grant_types: z.array(z.string()).max(10).optional(),
  response_types: z.array(z.string()).max(10).optional(),
  scope: z.string().max(1000).optional(),
  client_uri: z.string().max(2000).optional(),
  logo_uri: z.string().max(2000).optional(),
});

export interface Registration {
  client: ClientRecord;
  /** Only when the client authenticates with a secret; shown once, stored as a hash. */
  clientSecret: string | null;
}

export function registerClient(store: OAuthStore, body: unknown, policy: Policy): Registration {
  if (!policy.dynamicRegistration) throw new OAuthError('access_denied', 'Dynamic client registration is turned off by the administrator of this Nextcloud.', 403);
  const parsed = registrationSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join('.');
    throw new OAuthError(field.startsWith('redirect_uris') ? 'invalid_redirect_uri' : 'invalid_client_metadata', `${field ? `${field}: ` : ''}${issue.message}`);
  }
  // Fields only the server may set are dropped, so the registration answer never echoes a client's own claims.
  const { client_id: _id, client_secret: _secret, client_secret_expires_at: _expires, client_id_issued_at: _issued, registration_access_token: _token, ...metadata } = parsed.data;
  for (const uri of metadata.redirect_uris) {
    const problem = redirectUriProblem(uri, policy.redirectHosts);
    if (problem) throw new OAuthError('invalid_redirect_uri', problem);
  }
  const grantTypes = metadata.grant_types ?? ['authorization_code', 'refresh_token'];
  const unsupported = grantTypes.filter((grant) => grant !== 'authorization_code' && grant !== 'refresh_token');
  if (!grantTypes.includes('authorization_code') || unsupported.length > 0) {
    throw new OAuthError('invalid_client_metadata', `grant_types may only hold authorization_code and refresh_token (got ${grantTypes.join(', ')})`);
  }
  if (metadata.response_types && metadata.response_types.some((type) => type !== 'code')) {
    throw new OAuthError('invalid_client_metadata', 'response_types may only hold "code"');
  }
  // RFC 7591 would default to client_secret_basic; MCP clients that omit it are public clients in practice. A
  // client asking for client_secret_basic gets client_secret_post (RFC 7591 §3.2.1 lets the server choose): a
  // Basic header would be taken by Nextcloud for a failed login before it reached this app.
  const method = metadata.token_endpoint_auth_method === 'client_secret_basic' ? 'client_secret_post' : (metadata.token_endpoint_auth_method ?? 'none');
  const clientSecret = method === 'none' ? null : randomBytes(32).toString('base64url');
  const client = store.insertClient({
    clientId: `mcp-${randomUUID()}`,
    kind: 'dynamic',
    clientName: metadata.client_name ?? new URL(metadata.redirect_uris[0]!).hostname,
    redirectUris: metadata.redirect_uris,
    grantTypes,
    tokenEndpointAuthMethod: method,
    secretHash: clientSecret && hashSecret(clientSecret),
    metadata: { ...metadata, token_endpoint_auth_method: method },
  });
  return { client, clientSecret };
}

/**
 * Finds the client named in an authorization or token request: a registered one from the store, or one whose
 * client_id is the URL of its metadata document (fetched, checked against the policy, and remembered).
 */
export async function resolveClient(store: OAuthStore, documents: ClientMetadataFetcher, clientId: string, policy: Policy): Promise<ClientRecord> {
  // Registered client ids are never URLs; a URL is a metadata document, and the fetcher decides whether it is
  // an acceptable one (https, a path, a public address).
  if (!/^https?:\/\//i.test(clientId)) {
    const client = store.getClient(clientId);
    if (!client || client.kind !== 'dynamic') throw new OAuthError('invalid_client', `The client ${clientId.slice(0, 100)} is not registered with this server. Register it again.`);
    return client;
  }
  if (!policy.clientMetadataDocuments) throw new OAuthError('invalid_client', 'Clients identified by a metadata document URL are turned off by the administrator of this Nextcloud.');
  const outcome = await documents.fetch(clientId);
  if (!outcome.ok) throw new OAuthError('invalid_client', outcome.description);
  const document = outcome.document;
  const redirectUris = document.redirect_uris.filter((uri) => redirectUriProblem(uri, policy.redirectHosts) === null);
  if (redirectUris.length === 0) {
    throw new OAuthError('invalid_client', `None of the redirect URIs of ${clientId} is allowed here: ${redirectUriProblem(document.redirect_uris[0]!, policy.redirectHosts)}`);
  }
  const grantTypes = (document.grant_types ?? ['authorization_code']).filter((grant) => grant === 'authorization_code' || grant === 'refresh_token');
  return store.insertClient({
    clientId,
    kind: 'document',
    clientName: document.client_name,
    redirectUris,
    grantTypes: grantTypes.includes('authorization_code') ? grantTypes : ['authorization_code', ...grantTypes],
    // Metadata documents describe public clients here: private_key_jwt is not offered, so they use none.
    tokenEndpointAuthMethod: 'none',
    secretHash: null,
    metadata: document,
  });
}
