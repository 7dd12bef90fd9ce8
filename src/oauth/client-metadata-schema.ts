// What a Client ID Metadata Document (draft-ietf-oauth-client-id-metadata-document) must be: its URL, which is
// the client_id, and the JSON found there, with messages that tell the client's developer what to fix. Fetching it
// is client-metadata-document.ts's job.
import { z } from 'zod';
import { isLoopbackHttp } from '../core/loopback.js';

const MAX_CLIENT_ID_LENGTH = 2048;

function parseUrl(value: string): URL | null {
  try {
    return new URL(value);
  } catch {
    return null;
  }
}

/** Why a redirect URI from a metadata document is unusable, or null when it is fine. */
function redirectUriShapeProblem(uri: string): string | null {
  const url = parseUrl(uri);
  if (!url) return `${uri} is not an absolute URL`;
  if (uri.includes('#') || url.hash) return `${uri} has a fragment; redirect URIs may not`;
  if (url.username || url.password) return `${uri} carries credentials`;
  if (url.protocol === 'https:') return null;
  if (isLoopbackHttp(url)) return null;
  if (url.protocol === 'http:')
    return `${uri} uses http for a host that is not loopback (only http://127.0.0.1, http://[::1] and http://localhost may)`;
  return `${uri} uses the scheme ${url.protocol.slice(0, -1)}; redirect URIs must be https (or http on a loopback host)`;
}

function isHttpsUrl(value: string): boolean {
  const url = parseUrl(value);
  return url !== null && url.protocol === 'https:' && !url.username && !url.password;
}

const requiredString = (what: string) =>
  z.string({ error: (issue) => (issue.input === undefined ? `${what} is required` : `${what} must be a string`) });
const stringList = (what: string) => z.array(z.string(), { error: `${what} must be an array of strings` });

/**
 * The document as this server accepts it. client_id, client_name and redirect_uris are required; other fields are
 * optional and unknown ones pass through untouched (not trusted). token_endpoint_auth_method takes any value:
 * ChatGPT's document says private_key_jwt and must still be accepted. An unusable client_uri or logo_uri (anything
 * but https) is dropped rather than failing the whole document, since neither is needed to log in.
 */
export const clientMetadataDocumentSchema = z.looseObject({
  client_id: requiredString('client_id'),
  client_name: requiredString('client_name')
    .trim()
    .min(1, 'client_name must not be empty')
    .max(200, 'client_name is longer than 200 characters'),
  redirect_uris: z
    .array(
      z.string({ error: 'each redirect URI must be a string' }).superRefine((uri, ctx) => {
        const problem = redirectUriShapeProblem(uri);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }),
      { error: (issue) => (issue.input === undefined ? 'redirect_uris is required' : 'redirect_uris must be an array of URLs') },
    )
    .min(1, 'redirect_uris must list at least one redirect URI'),
  client_uri: z.string().refine(isHttpsUrl).optional().catch(undefined),
  logo_uri: z.string().refine(isHttpsUrl).optional().catch(undefined),
  grant_types: stringList('grant_types').optional(),
  response_types: stringList('response_types').optional(),
  token_endpoint_auth_method: z.string({ error: 'token_endpoint_auth_method must be a string' }).optional(),
  scope: z.string({ error: 'scope must be a string' }).optional(),
  jwks_uri: z.string({ error: 'jwks_uri must be a string' }).optional(),
});

export type ClientMetadataDocument = z.infer<typeof clientMetadataDocumentSchema>;

/** Why clientId is not a usable metadata document URL, or null. allowHttp is for tests only. */
export function documentIdProblem(clientId: string, allowHttp: boolean): string | null {
  if (typeof clientId !== 'string' || clientId.length === 0) return 'it is empty';
  if (clientId.length > MAX_CLIENT_ID_LENGTH) return `it is longer than ${MAX_CLIENT_ID_LENGTH} characters`;
  // The URL parser silently drops or rewrites these, so the fetched URL would not be the client_id.
  if (/[\u0000-\u0020\u007f\\]/.test(clientId)) return 'it contains whitespace, control characters or backslashes';
  const scheme = /^(https?):\/\//.exec(clientId)?.[1];
  if (scheme !== 'https' && !(scheme === 'http' && allowHttp)) return 'it is not an https URL';
  if (clientId.includes('#')) return 'it has a fragment';
  const rest = clientId.slice(scheme.length + 3);
  const authorityEnd = rest.search(/[/?]/);
  const authority = authorityEnd === -1 ? rest : rest.slice(0, authorityEnd);
  if (authority.length === 0) return 'it has no host';
  if (authority.includes('@')) return 'it carries a user name or password';
  const afterAuthority = authorityEnd === -1 ? '' : rest.slice(authorityEnd);
  const queryStart = afterAuthority.indexOf('?');
  const path = queryStart === -1 ? afterAuthority : afterAuthority.slice(0, queryStart);
  if (path === '' || path === '/') return 'it has no path';
  const dotSegment = /^(?:\.|%2e){1,2}$/i;
  if (path.split('/').some((segment) => dotSegment.test(segment))) return "it has '.' or '..' path segments";
  const url = parseUrl(clientId);
  if (!url) return 'it is not a valid URL';
  if (url.username || url.password) return 'it carries a user name or password';
  if (!url.hostname) return 'it has no host';
  if (url.pathname === '/' || url.pathname === '') return 'it has no path';
  return null;
}

/** true when client_id is an https URL with a non-root path, no fragment, no userinfo, no '.'/'..' segments (the draft's rules) */
export function isClientMetadataDocumentId(clientId: string): boolean {
  return documentIdProblem(clientId, false) === null;
}
