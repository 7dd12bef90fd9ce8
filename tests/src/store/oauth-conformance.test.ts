import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../../src/store/database.js';
import { migrate, openDatabase } from '../../../src/store/database.js';
import type { OAuthStore } from '../../../src/store/oauth-store.js';
import { sqliteOAuthStore } from '../../../src/store/sqlite-oauth-store.js';
import { describeOAuthStoreConformance, fakeClock } from './oauth-conformance.js';

function openMigrated(): { db: Db; close(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-gateway-oauth-conformance-'));
  const db = openDatabase(dir);
  migrate(db);
  return {
    db,
    close() {
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

describeOAuthStoreConformance('SQLite', (clock, options) => {
  const { db, close } = openMigrated();
  return { store: sqliteOAuthStore(db, { ...options, now: clock.now }), close };
});

// Rows the interface cannot produce: a successor sealed by hand-edited data, and a token rotated by a release that
// did not yet remember successors. Both must end the family rather than hand out anything.
describe('SQLite OAuth store: rotated tokens without a usable successor', () => {
  let opened: ReturnType<typeof openMigrated>;
  let store: OAuthStore;
  let first: string;
  let grantId: string;

  beforeEach(() => {
    opened = openMigrated();
    store = sqliteOAuthStore(opened.db, { now: fakeClock().now });
    store.insertClient({
      clientId: 'c1',
      kind: 'dynamic',
      clientName: 'c1',
      redirectUris: ['http://127.0.0.1/cb'],
      grantTypes: ['authorization_code', 'refresh_token'],
      tokenEndpointAuthMethod: 'none',
      secretHash: null,
    });
    grantId = store.createGrant({
      userId: 'alice',
      clientId: 'c1',
      clientName: 'c1',
      scopes: [],
      resource: 'https://nc/mcp',
      redirectUri: 'http://127.0.0.1/cb',
    }).id;
    const code = store.insertCode({
      grantId,
      clientId: 'c1',
      redirectUri: 'http://127.0.0.1/cb',
      codeChallenge: 'x'.repeat(43),
      resource: 'https://nc/mcp',
      ttlSeconds: 60,
    });
    const redeemed = store.redeemCode(code, 'c1', 3600, () => null);
    first = redeemed.status === 'ok' ? redeemed.refreshToken! : '';
    expect(store.rotateRefreshToken(first, 'c1', 3600).status).toBe('ok');
  });
  afterEach(() => opened.close());

  it('treats a retry within the grace as reuse when the sealed successor does not open', () => {
    opened.db
      .prepare('UPDATE oauth_refresh_tokens SET successor_sealed = ? WHERE successor_sealed IS NOT NULL')
      .run(Buffer.alloc(60, 7).toString('base64url'));
    expect(store.rotateRefreshToken(first, 'c1', 3600)).toEqual({ status: 'reused' });
    expect(store.getGrant(grantId)?.revokedReason).toBe('refresh token reused');
  });

  it('treats a retry within the grace as reuse for a token rotated before successors were remembered', () => {
    opened.db.prepare('UPDATE oauth_refresh_tokens SET successor_hash = NULL, successor_sealed = NULL').run();
    expect(store.rotateRefreshToken(first, 'c1', 3600)).toEqual({ status: 'reused' });
    expect(store.getGrant(grantId)?.revokedReason).toBe('refresh token reused');
  });
});
