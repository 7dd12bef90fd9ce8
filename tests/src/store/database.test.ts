import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Db } from '../../../src/store/database.js';
import { getMeta, migrate, openDatabase, setMeta } from '../../../src/store/database.js';
import { migrations } from '../../../src/store/migrations.js';

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
