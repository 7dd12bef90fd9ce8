// The OAuth store (oauth-store.ts) in SQLite. Everything that must happen together (using a code and issuing its refresh
// token, rotating a refresh token, revoking a family on reuse) happens in one transaction, so a crash leaves
// either the old state or the new one, never a half-issued token.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { Db } from './database.js';
import { hashSecret, newSecret } from '../core/secrets.js';
import type { ClientRecord, CodeRedemption, GrantRecord, OAuthStore, RefreshRotation } from './oauth-store.js';

/**
 * A rotated refresh token keeps its successor sealed under a key derived from itself, so a client retrying the same
 * refresh within the grace window gets the same successor back, while the store holds no usable token: only whoever
 * presents the old token can open it.
 */
function successorKey(token: string): Buffer {
  return Buffer.from(hkdfSync('sha256', token, '', 'mcp_gateway refresh successor', 32));
}

function sealSuccessor(token: string, successor: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', successorKey(token), iv);
  const sealed = Buffer.concat([cipher.update(successor, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url');
}

function openSuccessor(token: string, sealed: string): string | null {
  try {
    const bytes = Buffer.from(sealed, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', successorKey(token), bytes.subarray(0, 12));
    decipher.setAuthTag(bytes.subarray(12, 28));
    return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}

/** How long a registered client without an active grant is kept. */
const UNUSED_CLIENT_SECONDS = 7 * 24 * 3600;
/** How long a client that never obtained a grant is kept (a sign-in takes minutes, not days). */
const UNCLAIMED_CLIENT_SECONDS = 24 * 3600;

interface ClientRow {
  client_id: string;
  kind: 'dynamic' | 'document';
  client_name: string;
  redirect_uris: string;
  grant_types: string;
  token_endpoint_auth_method: string;
  secret_hash: string | null;
  created_at: number;
}

const toClient = (row: ClientRow): ClientRecord => ({
  clientId: row.client_id,
  kind: row.kind,
  clientName: row.client_name,
  redirectUris: JSON.parse(row.redirect_uris) as string[],
  grantTypes: JSON.parse(row.grant_types) as string[],
  tokenEndpointAuthMethod: row.token_endpoint_auth_method,
  secretHash: row.secret_hash,
  createdAt: row.created_at,
});

interface GrantRow {
  id: string;
  user_id: string;
  client_id: string;
  client_name: string;
  scopes: string;
  resource: string;
  redirect_uri: string;
  created_at: number;
  established_at: number | null;
  last_used_at: number | null;
  revoked_at: number | null;
  revoked_reason: string | null;
}

const toGrant = (row: GrantRow): GrantRecord => ({
  id: row.id,
  userId: row.user_id,
  clientId: row.client_id,
  clientName: row.client_name,
  scopes: row.scopes.split(' ').filter(Boolean),
  resource: row.resource,
  redirectUri: row.redirect_uri,
  createdAt: row.created_at,
  establishedAt: row.established_at,
  lastUsedAt: row.last_used_at,
  revokedAt: row.revoked_at,
  revokedReason: row.revoked_reason,
});

export interface OAuthStoreOptions {
  /** How long a rotated refresh token still gives the same successor to the client that rotated it (concurrent refreshes). */
  refreshReuseGraceSeconds?: number;
  /** The clock in epoch milliseconds, like Date.now (the default); the store keeps whole seconds. */
  now?: () => number;
}

export function sqliteOAuthStore(db: Db, options: OAuthStoreOptions = {}): OAuthStore {
  const refreshReuseGrace = options.refreshReuseGraceSeconds ?? 10;
  const clock = options.now ?? Date.now;
  const now = () => Math.floor(clock() / 1000);
  const touched = new Map<string, number>();

  // The grant lookup runs on every MCP request (it is what makes revocation immediate), so its statement, and the
  // one that records a use, are prepared once, on first use, and reused.
  let selectGrant: Database.Statement<[string], GrantRow> | undefined;
  let updateLastUsed: Database.Statement<[number, string]> | undefined;
  const getGrant = (id: string) => {
    selectGrant ??= db.prepare<[string], GrantRow>('SELECT * FROM oauth_grants WHERE id = ?');
    const row = selectGrant.get(id);
    return row && toGrant(row);
  };
  const revokeGrant = (id: string, reason: string) =>
    db.prepare('UPDATE oauth_grants SET revoked_at = ?, revoked_reason = ? WHERE id = ? AND revoked_at IS NULL').run(now(), reason, id)
      .changes > 0;
  const issueRefresh = (grantId: string, clientId: string, ttlSeconds: number) => {
    const token = newSecret('mgr_');
    const at = now();
    db.prepare('INSERT INTO oauth_refresh_tokens (token_hash, grant_id, client_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)').run(
      hashSecret(token),
      grantId,
      clientId,
      at,
      at + ttlSeconds,
    );
    return token;
  };

  return {
    insertClient(client) {
      const createdAt = now();
      db.prepare(
        `INSERT INTO oauth_clients (client_id, kind, client_name, redirect_uris, grant_types, token_endpoint_auth_method, secret_hash, metadata, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (client_id) DO UPDATE SET client_name = excluded.client_name, redirect_uris = excluded.redirect_uris,
           grant_types = excluded.grant_types, token_endpoint_auth_method = excluded.token_endpoint_auth_method`,
      ).run(
        client.clientId,
        client.kind,
        client.clientName,
        JSON.stringify(client.redirectUris),
        JSON.stringify(client.grantTypes),
        client.tokenEndpointAuthMethod,
        client.secretHash,
        // Kept for the column of earlier releases: nothing a client sends beyond the fields above is stored.
        '{}',
        createdAt,
      );
      return { ...client, createdAt };
    },
    getClient(clientId) {
      const row = db.prepare('SELECT * FROM oauth_clients WHERE client_id = ?').get(clientId) as ClientRow | undefined;
      return row && toClient(row);
    },
    capUnclaimedClients(max) {
      return db
        .prepare(
          `DELETE FROM oauth_clients WHERE client_id IN (
             SELECT client_id FROM oauth_clients c
             WHERE NOT EXISTS (SELECT 1 FROM oauth_grants g WHERE g.client_id = c.client_id)
             ORDER BY created_at DESC, rowid DESC LIMIT -1 OFFSET ?)`,
        )
        .run(max).changes;
    },

    createGrant(grant) {
      const id = randomBytes(16).toString('base64url');
      db.prepare(
        'INSERT INTO oauth_grants (id, user_id, client_id, client_name, scopes, resource, redirect_uri, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(id, grant.userId, grant.clientId, grant.clientName, grant.scopes.join(' '), grant.resource, grant.redirectUri, now());
      return getGrant(id)!;
    },
    getGrant,
    activeGrants(userId) {
      const rows = db
        .prepare(
          'SELECT * FROM oauth_grants WHERE user_id = ? AND revoked_at IS NULL AND established_at IS NOT NULL ORDER BY created_at DESC',
        )
        .all(userId) as GrantRow[];
      return rows.map(toGrant);
    },
    allActiveGrants(limit = 500) {
      const rows = db
        .prepare(
          `SELECT * FROM oauth_grants WHERE revoked_at IS NULL AND established_at IS NOT NULL
             ORDER BY COALESCE(last_used_at, created_at) DESC LIMIT ?`,
        )
        .all(limit) as GrantRow[];
      return rows.map(toGrant);
    },
    revokeGrant,
    revokeClientGrants(userId, clientId, reason) {
      return db
        .prepare('UPDATE oauth_grants SET revoked_at = ?, revoked_reason = ? WHERE user_id = ? AND client_id = ? AND revoked_at IS NULL')
        .run(now(), reason, userId, clientId).changes;
    },
    touchGrant(id) {
      const at = now();
      if ((touched.get(id) ?? 0) > at - 60) return;
      touched.set(id, at);
      if (touched.size > 10_000) touched.clear();
      updateLastUsed ??= db.prepare<[number, string]>('UPDATE oauth_grants SET last_used_at = ? WHERE id = ?');
      updateLastUsed.run(at, id);
    },

    insertCode(code) {
      const secret = newSecret('mgc_');
      db.prepare(
        'INSERT INTO oauth_codes (code_hash, grant_id, client_id, redirect_uri, code_challenge, resource, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ).run(hashSecret(secret), code.grantId, code.clientId, code.redirectUri, code.codeChallenge, code.resource, now() + code.ttlSeconds);
      return secret;
    },
    redeemCode(code, clientId, refreshTtlSeconds, check) {
      return db
        .transaction((): CodeRedemption => {
          const row = db.prepare('SELECT * FROM oauth_codes WHERE code_hash = ?').get(hashSecret(code)) as
            | {
                grant_id: string;
                client_id: string;
                redirect_uri: string;
                code_challenge: string;
                resource: string;
                expires_at: number;
                used_at: number | null;
              }
            | undefined;
          if (!row) return { status: 'unknown' };
          if (row.client_id !== clientId) return { status: 'wrong_client' };
          if (row.used_at !== null) {
            // RFC 9700 §4.2.4: a second use means the code leaked; what it issued is revoked.
            revokeGrant(row.grant_id, 'authorization code replayed');
            return { status: 'replayed' };
          }
          db.prepare('UPDATE oauth_codes SET used_at = ? WHERE code_hash = ?').run(now(), hashSecret(code));
          if (row.expires_at < now()) return { status: 'expired' };
          const problem = check({ codeChallenge: row.code_challenge, redirectUri: row.redirect_uri, resource: row.resource });
          if (problem) {
            revokeGrant(row.grant_id, `authorization code misused: ${problem}`);
            return { status: 'rejected', description: problem };
          }
          const consented = getGrant(row.grant_id);
          if (!consented || consented.revokedAt !== null) return { status: 'unknown' };
          let grant = consented;
          if (consented.establishedAt === null) {
            grant = { ...consented, establishedAt: now() };
            db.prepare('UPDATE oauth_grants SET established_at = ? WHERE id = ?').run(grant.establishedAt, grant.id);
          }
          const refreshToken = refreshTtlSeconds === null ? undefined : issueRefresh(grant.id, clientId, refreshTtlSeconds);
          return { status: 'ok', grant, refreshToken };
        })
        .immediate();
    },
    rotateRefreshToken(token, clientId, refreshTtlSeconds) {
      return db
        .transaction((): RefreshRotation => {
          const hash = hashSecret(token);
          const row = db.prepare('SELECT * FROM oauth_refresh_tokens WHERE token_hash = ?').get(hash) as
            | {
                grant_id: string;
                client_id: string;
                expires_at: number;
                used_at: number | null;
                successor_hash: string | null;
                successor_sealed: string | null;
              }
            | undefined;
          if (!row) return { status: 'unknown' };
          if (row.client_id !== clientId) return { status: 'wrong_client' };
          const grant = getGrant(row.grant_id);
          if (!grant || grant.revokedAt !== null) return { status: 'revoked' };
          const reused = (): RefreshRotation => {
            revokeGrant(row.grant_id, 'refresh token reused');
            return { status: 'reused' };
          };
          if (row.used_at !== null) {
            // Rotation with reuse detection (RFC 9700 §4.14.2): an old token coming back means two parties hold the
            // family; all of it is revoked. The one exception is the same client retrying within a few seconds (SDKs
            // refresh on every 401, in parallel): it gets the successor it was already given, as long as that has not
            // been used itself, so a retry never starts a second chain.
            if (now() - row.used_at > refreshReuseGrace || !row.successor_hash || !row.successor_sealed) return reused();
            const successor = db
              .prepare('SELECT used_at, expires_at FROM oauth_refresh_tokens WHERE token_hash = ?')
              .get(row.successor_hash) as { used_at: number | null; expires_at: number } | undefined;
            const sameToken = openSuccessor(token, row.successor_sealed);
            if (!successor || successor.used_at !== null || !sameToken || hashSecret(sameToken) !== row.successor_hash) return reused();
            // A successor that has run out is no answer to a retry; nothing was reused either.
            if (successor.expires_at < now()) return { status: 'expired' };
            return { status: 'ok', grant, refreshToken: sameToken };
          }
          if (row.expires_at < now()) return { status: 'expired' };
          const successor = issueRefresh(grant.id, clientId, refreshTtlSeconds);
          db.prepare('UPDATE oauth_refresh_tokens SET used_at = ?, successor_hash = ?, successor_sealed = ? WHERE token_hash = ?').run(
            now(),
            hashSecret(successor),
            sealSuccessor(token, successor),
            hash,
          );
          return { status: 'ok', grant, refreshToken: successor };
        })
        .immediate();
    },
    refreshTokenGrant(token, clientId) {
      const row = db.prepare('SELECT grant_id, client_id FROM oauth_refresh_tokens WHERE token_hash = ?').get(hashSecret(token)) as
        { grant_id: string; client_id: string } | undefined;
      return row && row.client_id === clientId ? getGrant(row.grant_id) : undefined;
    },
    revokeRefreshToken(token, clientId) {
      // RFC 7009 §2.1: a token of another client is not revoked (and the answer does not tell).
      const grant = this.refreshTokenGrant(token, clientId);
      if (!grant) return false;
      revokeGrant(grant.id, 'revoked by the client');
      return true;
    },

    insertPending(userId, request, ttlSeconds) {
      const id = randomBytes(24).toString('base64url');
      db.prepare('INSERT INTO oauth_pending (id, user_id, request, expires_at) VALUES (?, ?, ?, ?)').run(
        id,
        userId,
        JSON.stringify(request),
        now() + ttlSeconds,
      );
      return id;
    },
    takePending(id, userId) {
      return db
        .transaction(() => {
          const record = this.readPending(id, userId);
          if (record) db.prepare('DELETE FROM oauth_pending WHERE id = ?').run(id);
          return record;
        })
        .immediate();
    },
    readPending(id, userId) {
      const row = db.prepare('SELECT * FROM oauth_pending WHERE id = ? AND user_id = ? AND expires_at >= ?').get(id, userId, now()) as
        { id: string; user_id: string; request: string; expires_at: number } | undefined;
      return (
        row && { id: row.id, userId: row.user_id, request: JSON.parse(row.request) as Record<string, unknown>, expiresAt: row.expires_at }
      );
    },
    prune() {
      const at = now();
      return db.transaction(() => {
        let removed = db.prepare('DELETE FROM oauth_pending WHERE expires_at < ?').run(at).changes;
        // A consent whose code was never redeemed and no longer can be: its codes and the grant go (a replay of such
        // a code has nothing left to revoke).
        const stranded = `SELECT id FROM oauth_grants g WHERE g.established_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM oauth_codes c WHERE c.grant_id = g.id AND c.used_at IS NULL AND c.expires_at >= ?)`;
        removed += db.prepare(`DELETE FROM oauth_codes WHERE grant_id IN (${stranded})`).run(at).changes;
        removed += db.prepare(`DELETE FROM oauth_grants WHERE id IN (${stranded})`).run(at).changes;
        // Used codes are kept for a day so a replay is still recognised (and punished) after expiry.
        removed += db.prepare('DELETE FROM oauth_codes WHERE expires_at < ?').run(at - 86_400).changes;
        removed += db.prepare('DELETE FROM oauth_refresh_tokens WHERE expires_at < ?').run(at).changes;
        // Clients register on every fresh connection (Claude does): one that holds no active grant a week after
        // registering is gone for good, and its row goes too. One that never got a grant in a day never will.
        removed += db
          .prepare(
            `DELETE FROM oauth_clients WHERE created_at < ?
               AND NOT EXISTS (SELECT 1 FROM oauth_grants g WHERE g.client_id = oauth_clients.client_id AND g.revoked_at IS NULL)`,
          )
          .run(at - UNUSED_CLIENT_SECONDS).changes;
        removed += db
          .prepare(
            `DELETE FROM oauth_clients WHERE created_at < ?
               AND NOT EXISTS (SELECT 1 FROM oauth_grants g WHERE g.client_id = oauth_clients.client_id)`,
          )
          .run(at - UNCLAIMED_CLIENT_SECONDS).changes;
        return removed;
      })();
    },

    getSigningKey() {
      const row = db.prepare('SELECT kid, alg, private_jwk, public_jwk FROM oauth_signing_keys ORDER BY created_at DESC LIMIT 1').get() as
        { kid: string; alg: string; private_jwk: string; public_jwk: string } | undefined;
      return row && { kid: row.kid, alg: row.alg, privateJwk: row.private_jwk, publicJwk: row.public_jwk };
    },
    insertSigningKey(key) {
      db.prepare('INSERT OR IGNORE INTO oauth_signing_keys (kid, alg, private_jwk, public_jwk, created_at) VALUES (?, ?, ?, ?, ?)').run(
        key.kid,
        key.alg,
        key.privateJwk,
        key.publicJwk,
        now(),
      );
    },
  };
}
