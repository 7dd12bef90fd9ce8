import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../../src/store/database.js';
import { migrate, openDatabase } from '../../../src/store/database.js';
import type { OAuthStore } from '../../../src/store/oauth-store.js';
import { hashSecret } from '../../../src/core/secrets.js';
import { sqliteOAuthStore } from '../../../src/store/sqlite-oauth-store.js';

let dir: string;
let db: Db;
let store: OAuthStore;
const client = (clientId: string) => ({
  clientId,
  kind: 'dynamic' as const,
  clientName: clientId,
  redirectUris: ['http://127.0.0.1/cb'],
  grantTypes: ['authorization_code', 'refresh_token'],
  tokenEndpointAuthMethod: 'none',
  secretHash: null,
});
const grantFor = (clientId: string, userId = 'alice') =>
  store.createGrant({
    userId,
    clientId,
    clientName: clientId,
    scopes: ['files.read'],
    resource: 'https://nc/mcp',
    redirectUri: 'http://127.0.0.1/cb',
  });
/** A grant whose code was redeemed: a connection. */
const connect = (clientId: string, userId = 'alice', refreshTtlSeconds: number | null = null) => {
  const grant = grantFor(clientId, userId);
  const code = store.insertCode({
    grantId: grant.id,
    clientId,
    redirectUri: 'http://127.0.0.1/cb',
    codeChallenge: 'x'.repeat(43),
    resource: 'https://nc/mcp',
    ttlSeconds: 60,
  });
  const redeemed = store.redeemCode(code, clientId, refreshTtlSeconds, () => null);
  if (redeemed.status !== 'ok') throw new Error(redeemed.status);
  return { grant: redeemed.grant, code, refreshToken: redeemed.refreshToken };
};
const age = (table: string, column: string, seconds: number) => db.prepare(`UPDATE ${table} SET ${column} = ${column} - ?`).run(seconds);

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-gateway-oauth-store-'));
  db = openDatabase(dir);
  migrate(db);
  store = sqliteOAuthStore(db);
});
afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('OAuth store', () => {
  it('keeps codes and refresh tokens only as hashes', () => {
    store.insertClient(client('c1'));
    const { code, refreshToken } = connect('c1', 'alice', 3600);
    const refresh = refreshToken!;
    const dump = JSON.stringify([db.prepare('SELECT * FROM oauth_codes').all(), db.prepare('SELECT * FROM oauth_refresh_tokens').all()]);
    expect(dump).not.toContain(code);
    expect(dump).not.toContain(refresh);
    expect(dump).toContain(hashSecret(refresh));
  });

  it('prunes clients with no active grant a week after they registered, and expired tokens', () => {
    for (const id of ['unused', 'revoked', 'active', 'recent']) store.insertClient(client(id));
    store.revokeGrant(connect('revoked').grant.id, 'test');
    connect('active');
    connect('active', 'bob', 60);
    age('oauth_clients', 'created_at', 8 * 24 * 3600);
    db.prepare("UPDATE oauth_clients SET created_at = created_at + ? WHERE client_id = 'recent'").run(8 * 24 * 3600);
    age('oauth_refresh_tokens', 'expires_at', 120);
    // Two clients and the refresh token; the spent codes stay a day to recognise a replay.
    expect(store.prune()).toBe(3);
    expect(['unused', 'revoked', 'active', 'recent'].filter((id) => store.getClient(id))).toEqual(['active', 'recent']);
    expect(db.prepare('SELECT COUNT(*) FROM oauth_refresh_tokens').pluck().get()).toBe(0);
  });

  it('lets the same client refresh with one token twice within seconds (parallel requests), and revokes the grant after that', () => {
    store.insertClient(client('c1'));
    store.insertClient(client('c2'));
    const { grant, refreshToken } = connect('c1', 'alice', 3600);
    const first = refreshToken!;
    expect(store.rotateRefreshToken(first, 'c1', 3600).status).toBe('ok');
    expect(store.rotateRefreshToken(first, 'c1', 3600).status).toBe('ok');
    // Another client never gets the grace.
    expect(store.rotateRefreshToken(first, 'c2', 3600).status).toBe('wrong_client');
    age('oauth_refresh_tokens', 'used_at', 11);
    expect(store.rotateRefreshToken(first, 'c1', 3600).status).toBe('reused');
    expect(store.getGrant(grant.id)?.revokedAt).not.toBeNull();
  });

  it('gives a retry within the grace the very successor it gave before, so parallel refreshes never fork the family', () => {
    store.insertClient(client('c1'));
    const { grant, refreshToken } = connect('c1', 'alice', 3600);
    const first = refreshToken!;
    const answers = [1, 2, 3].map(() => store.rotateRefreshToken(first, 'c1', 3600));
    const successors = answers.map((answer) => (answer.status === 'ok' ? answer.refreshToken : answer.status));
    expect(new Set(successors).size).toBe(1);
    expect(successors[0]).not.toBe(first);
    expect(db.prepare('SELECT COUNT(*) FROM oauth_refresh_tokens').pluck().get()).toBe(2);
    // The successor is kept sealed: the store holds nothing that works as a token.
    expect(JSON.stringify(db.prepare('SELECT * FROM oauth_refresh_tokens').all())).not.toContain(successors[0]!);
    // Once the successor itself was used, the old token coming back is reuse, even within the grace.
    const next = store.rotateRefreshToken(successors[0]!, 'c1', 3600);
    expect(next.status).toBe('ok');
    expect(store.rotateRefreshToken(first, 'c1', 3600).status).toBe('reused');
    expect(store.getGrant(grant.id)?.revokedAt).not.toBeNull();
  });

  it('keeps at most so many clients that never obtained a grant, dropping the oldest, and prunes them after a day', () => {
    for (const id of ['u1', 'u2', 'u3', 'u4', 'claimed']) {
      store.insertClient(client(id));
      age('oauth_clients', 'created_at', 10);
    }
    connect('claimed');
    expect(store.capUnclaimedClients(2)).toBe(2);
    expect(['u1', 'u2', 'u3', 'u4', 'claimed'].filter((id) => store.getClient(id))).toEqual(['u3', 'u4', 'claimed']);
    age('oauth_clients', 'created_at', 25 * 3600);
    expect(store.prune()).toBe(2);
    expect(store.getClient('claimed')).toBeDefined();
  });
});
