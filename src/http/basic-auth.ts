// The one reading of an `Authorization: Basic` header: the token endpoint's client credentials and the remote
// Docker Socket Proxy's own credentials arrive that way.

/** Whether the header uses the Basic scheme (case-insensitive, RFC 7617). */
export function isBasic(authorization: string | undefined): authorization is string {
  return authorization?.toLowerCase().startsWith('basic ') ?? false;
}

/** The decoded `user:password` text of a Basic header, or null for any other scheme. */
export function basicCredentials(authorization: string | undefined): string | null {
  return isBasic(authorization) ? Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8') : null;
}
