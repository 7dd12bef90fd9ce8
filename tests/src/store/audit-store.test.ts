// The audit log keeps what happened, filters and pages newest first, bounds what a client can make it store,
// and forgets entries after the retention.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditStore } from '../../../src/store/audit.js';
import { auditStore } from '../../../src/store/audit.js';
import type { Db } from '../../../src/store/database.js';
import { migrate, openDatabase } from '../../../src/store/database.js';

let dir: string;
let db: Db;
let audit: AuditStore;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-test-'));
  db = openDatabase(dir);
  migrate(db);
  audit = auditStore(db);
});
afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const entry = (overrides: Partial<Parameters<AuditStore['record']>[0]> = {}) => ({
  at: Date.now(),
  userId: 'alice',
  clientId: 'chatgpt',
  tool: 'files_read',
  target: '/Documents/Notes.txt',
  outcome: 'ok' as const,
  errorCode: null,
  durationMs: 12.6,
  ...overrides,
});

describe('audit store', () => {
  it('filters by user, client, tool, outcome and time, newest first, paged with before', () => {
    audit.record(entry({ at: Date.parse('2026-11-01T10:00:00Z') }));
    audit.record(entry({ userId: 'bob', tool: 'files_write_text', outcome: 'error', errorCode: 'forbidden' }));
    audit.record(entry({ clientId: 'claude', tool: 'talk_send_message', target: 'abc123#7' }));
    audit.record(entry({ tool: 'files_write_text', outcome: 'refused', errorCode: 'insufficient_scope', target: null }));
    expect(audit.query().map((found) => found.tool)).toEqual(['files_write_text', 'talk_send_message', 'files_write_text', 'files_read']);
    expect(audit.query({ user: 'bob' })).toEqual([
      expect.objectContaining({ userId: 'bob', outcome: 'error', errorCode: 'forbidden', durationMs: 13 }),
    ]);
    expect(audit.query({ client: 'claude' }).map((found) => found.target)).toEqual(['abc123#7']);
    expect(audit.query({ outcome: 'refused' })).toHaveLength(1);
    expect(audit.query({ since: '2026-11-15T00:00:00Z' })).toHaveLength(3);
    const first = audit.query({ limit: 2 });
    const next = audit.query({ limit: 2, before: first.at(-1)!.id });
    expect([...first, ...next].map((found) => found.id)).toEqual(audit.query().map((found) => found.id));
    expect(() => audit.query({ outcome: 'maybe' as never })).toThrow();
  });

  it('cuts very long targets, and prunes entries older than the retention', () => {
    audit.record(entry({ target: `/${'x'.repeat(5000)}` }));
    expect(audit.query()[0]!.target).toHaveLength(1000);
    audit.record(entry({ at: Date.now() - 100 * 86_400_000 }));
    expect(audit.prune(90)).toBe(1);
    expect(audit.query()).toHaveLength(1);
  });

  it('writes the entries of one turn of the event loop together right after it, and before any query', async () => {
    const other = auditStore(db);
    const counting = db.prepare('SELECT COUNT(*) AS n FROM audit_log');
    for (let index = 0; index < 5; index++) audit.record(entry({ target: `/file-${index}` }));
    // Not yet written: a second view of the same database does not see them.
    expect(other.query()).toHaveLength(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect((counting.get() as { n: number }).n).toBe(5);
    audit.record(entry({ target: '/queued' }));
    // The store's own query writes what is queued first.
    expect(audit.query()[0]!.target).toBe('/queued');
    expect(other.query()).toHaveLength(6);
  });

  it('reports entries it could not write instead of throwing at the caller', async () => {
    const lost: number[] = [];
    const failing = auditStore(db, { onWriteError: (_error, count) => lost.push(count) });
    db.exec('DROP TABLE audit_log');
    expect(() => failing.record(entry())).not.toThrow();
    failing.record(entry());
    await new Promise((resolve) => setImmediate(resolve));
    expect(lost).toEqual([2]);
  });
});
