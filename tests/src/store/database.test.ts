import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Db } from '../../../src/store/database.js';
import { getMeta, migrate, openDatabase, setMeta } from '../../../src/store/database.js';
import { migrations } from '../../../src/store/migrations.js';
import { sqliteOAuthStore } from '../../../src/store/sqlite-oauth-store.js';

const dirs: string[] = [];
const open = (): { db: Db; dir: string } => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-gateway-store-'));
  dirs.push(dir);
  return { db: openDatabase(path.join(dir, 'nested')), dir };
};
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('store', () => {
  it('creates the storage directory, applies migrations once and keeps meta values across reopen', () => {
    const { db, dir } = open();
    expect(migrate(db).applied).toEqual(migrations.map((migration) => migration.id));
    expect(migrations[0]!.id).toBe('0001_app_meta');
    expect(migrate(db).applied).toEqual([]);
    setMeta(db, 'init_completed_at', 'then');
    setMeta(db, 'init_completed_at', 'now');
    db.close();
    const again = openDatabase(path.join(dir, 'nested'));
    expect(getMeta(again, 'init_completed_at')).toBe('now');
    expect(getMeta(again, 'missing')).toBeUndefined();
    again.close();
  });

  it('takes the grants of an installation from before 0005 as connections, and new consents not until their code is used', () => {
    const { db } = open();
    const before = migrations.findIndex((migration) => migration.id === '0005_grant_established');
    expect(before).toBeGreaterThan(0);
    migrate(db, migrations.slice(0, before));
    db.prepare(
      `INSERT INTO oauth_grants (id, user_id, client_id, client_name, scopes, resource, redirect_uri, created_at)
       VALUES ('old', 'alice', 'c1', 'Claude', 'files.read', 'https://nc/mcp', 'https://claude.ai/cb', 1700000000)`,
    ).run();
    expect(migrate(db).applied).toEqual(migrations.slice(before).map((migration) => migration.id));
    const store = sqliteOAuthStore(db);
    expect(store.activeGrants('alice')).toEqual([expect.objectContaining({ id: 'old', establishedAt: 1700000000 })]);
    const fresh = store.createGrant({
      userId: 'alice',
      clientId: 'c1',
      clientName: 'Claude',
      scopes: ['files.read'],
      resource: 'https://nc/mcp',
      redirectUri: 'https://claude.ai/cb',
    });
    expect(fresh.establishedAt).toBeNull();
    expect(store.activeGrants('alice').map((grant) => grant.id)).toEqual(['old']);
    db.close();
  });

  it('rolls a failing migration back completely, so a retry starts from the last good schema', () => {
    const { db } = open();
    const broken = [
      { id: '0001_ok', sql: 'CREATE TABLE a (x INTEGER)' },
      { id: '0002_broken', sql: 'CREATE TABLE b (y INTEGER); INSERT INTO nowhere VALUES (1);' },
    ];
    expect(() => migrate(db, broken)).toThrow(/no such table: nowhere/);
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
    expect(tables).toEqual(['a', 'schema_migrations']);
    expect(db.prepare('SELECT id FROM schema_migrations').pluck().all()).toEqual(['0001_ok']);
    db.close();
  });
});
