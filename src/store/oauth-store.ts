// What an OAuth store is: the records the authorization server keeps and the operations it relies on, each with
// the guarantee it gives (what happens together, what is spent, what is revoked). The SQLite store implements it
// (sqlite-oauth-store.ts); another store (PostgreSQL) must pass the same conformance suite
// (tests/src/store/oauth-conformance.ts), which checks every branch through this interface alone.

export interface ClientRecord {
  clientId: string;
  kind: 'dynamic' | 'document';
  clientName: string;
  redirectUris: string[];
  grantTypes: string[];
  tokenEndpointAuthMethod: string;
  secretHash: string | null;
  createdAt: number;
}

export interface GrantRecord {
  id: string;
  userId: string;
  clientId: string;
  clientName: string;
  scopes: string[];
  resource: string;
  redirectUri: string;
  createdAt: number;
  /** When its first code was redeemed: only from then on is the grant a connection (listed, remembered, kept). */
  establishedAt: number | null;
  lastUsedAt: number | null;
  revokedAt: number | null;
  revokedReason: string | null;
}

export type CodeRedemption =
  | { status: 'ok'; grant: GrantRecord; refreshToken?: string }
  | { status: 'unknown' | 'expired' | 'wrong_client' }
  | { status: 'rejected'; description: string }
  /** The code was used before: its grant has just been revoked. */
  | { status: 'replayed' };

export type RefreshRotation =
  | { status: 'ok'; grant: GrantRecord; refreshToken: string }
  | { status: 'unknown' | 'expired' | 'wrong_client' | 'revoked' }
  /** An already rotated token came back: the whole grant has just been revoked. */
  | { status: 'reused' };

export interface PendingRecord {
  id: string;
  userId: string;
  request: Record<string, unknown>;
  expiresAt: number;
}

export interface OAuthStore {
  insertClient(client: Omit<ClientRecord, 'createdAt'>): ClientRecord;
  getClient(clientId: string): ClientRecord | undefined;
  /**
   * Keeps at most `max` clients (registered, or metadata documents seen) that never obtained a grant, dropping the
   * oldest beyond that; returns how many went. Both happen anonymously, so this bounds what strangers can store.
   */
  capUnclaimedClients(max: number): number;

  createGrant(grant: Pick<GrantRecord, 'userId' | 'clientId' | 'clientName' | 'scopes' | 'resource' | 'redirectUri'>): GrantRecord;
  getGrant(id: string): GrantRecord | undefined;
  /** A user's connections (grants whose code was redeemed, not revoked), newest first. */
  activeGrants(userId: string): GrantRecord[];
  /** Every connection (admin view), newest use first. */
  allActiveGrants(limit?: number): GrantRecord[];
  revokeGrant(id: string, reason: string): boolean;
  revokeClientGrants(userId: string, clientId: string, reason: string): number;
  /** Records a use at most once a minute per grant, so every MCP request does not write. */
  touchGrant(id: string): void;

  insertCode(code: {
    grantId: string;
    clientId: string;
    redirectUri: string;
    codeChallenge: string;
    resource: string;
    ttlSeconds: number;
  }): string;
  /**
   * Uses a code once; the first code redeemed makes its grant a connection. `check` sees the code's binding (PKCE challenge, redirect URI, resource) inside the same
   * transaction; a code it refuses is spent and its grant revoked, like a replayed one.
   */
  redeemCode(
    code: string,
    clientId: string,
    refreshTtlSeconds: number | null,
    check: (code: { codeChallenge: string; redirectUri: string; resource: string }) => string | null,
  ): CodeRedemption;
  rotateRefreshToken(token: string, clientId: string, refreshTtlSeconds: number): RefreshRotation;
  /** The grant a refresh token of this client belongs to, without using the token. */
  refreshTokenGrant(token: string, clientId: string): GrantRecord | undefined;
  /** RFC 7009: revokes the grant the token belongs to; unknown tokens are ignored. Returns whether one matched. */
  revokeRefreshToken(token: string, clientId: string): boolean;

  insertPending(userId: string, request: Record<string, unknown>, ttlSeconds: number): string;
  /** Removes and returns the pending request, only for the user it was made for. */
  takePending(id: string, userId: string): PendingRecord | undefined;
  /** Returns the pending request without using it up ('' is the user of requests made before anyone signed in). */
  readPending(id: string, userId: string): PendingRecord | undefined;
  /**
   * Drops expired codes, refresh tokens and pending requests, grants that never became a connection and no longer
   * can (no code left to redeem), and clients unused for a week; returns how many rows went.
   */
  prune(): number;

  getSigningKey(): { kid: string; alg: string; privateJwk: string; publicJwk: string } | undefined;
  insertSigningKey(key: { kid: string; alg: string; privateJwk: string; publicJwk: string }): void;
}
