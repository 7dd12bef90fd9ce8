// The app's SQLite database in APP_PERSISTENT_STORAGE. Migrations are append-only and each runs in one
// transaction, so a crash mid-upgrade leaves the previous schema intact.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Migration } from './migrations.js';
import { migrations as shippedMigrations } from './migrations.js';

export type Db = Database.Database;

export function openDatabase(storageDir: string, fileName = 'mcp_gateway.sqlite'): Db {
  fs.mkdirSync(storageDir, { recursive: true, mode: 0o700 });
  const db = new Database(path.join(storageDir, fileName));
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  return db;
}

export function migrate(db: Db, migrations: Migration[] = shippedMigrations): { applied: string[] } {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)');
  const done = new Set(db.prepare('SELECT id FROM schema_migrations').pluck().all() as string[]);
  const applied: string[] = [];
  for (const migration of migrations) {
    if (done.has(migration.id)) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)').run(migration.id, Date.now());
    })();
    applied.push(migration.id);
  }
  return { applied };
}

/** Small key/value facts about the installation (when init finished, which version ran last). */
export function getMeta(db: Db, key: string): string | undefined {
  return db.prepare('SELECT value FROM app_meta WHERE key = ?').pluck().get(key) as string | undefined;
}

export function setMeta(db: Db, key: string, value: string): void {
  db.prepare('INSERT INTO app_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
}
