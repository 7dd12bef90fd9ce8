// The audit log of tool calls. It records what happened and to what (a path, an event, a conversation), never
// what was read or written, and keeps entries for a bounded time.
import { z } from 'zod';
import type { Db } from './database.js';

export const auditOutcomes = ['ok', 'error', 'failed', 'refused'] as const;

export interface AuditEntry {
  id: number;
  /** Milliseconds since the epoch. */
  at: number;
  userId: string;
  clientId: string;
  tool: string;
  /** Paths or ids the call named, joined with " -> " for moves and copies. */
  target: string | null;
  /** ok; error (a refusal the client saw as a tool error); failed (a fault of the app); refused (scope). */
  outcome: (typeof auditOutcomes)[number];
  errorCode: string | null;
  durationMs: number;
}

export const auditQuerySchema = z.object({
  user: z.string().min(1).max(255).optional(),
  client: z.string().min(1).max(2100).optional(),
  tool: z.string().min(1).max(100).optional(),
  outcome: z.enum(auditOutcomes).optional(),
  /** ISO 8601 or milliseconds: entries at or after. */
  since: z.union([z.coerce.number().int().min(0), z.iso.datetime({ offset: true }).transform((value) => Date.parse(value))]).optional(),
  /** Entries with a smaller id (the next page of a newest-first listing). */
  before: z.coerce.number().int().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export type AuditQuery = z.input<typeof auditQuerySchema>;

export interface AuditStore {
  /** Queues an entry; it is written with the others of the same turn of the event loop. */
  record(entry: Omit<AuditEntry, 'id'>): void;
  /** Writes the queued entries now (queries and pruning do it first; so does closing the app). */
  flush(): void;
  /** Newest first. */
  query(query?: AuditQuery): AuditEntry[];
  /** Removes entries older than the retention; returns how many. */
  prune(retentionDays: number): number;
}

interface Row {
  id: number;
  at: number;
  user_id: string;
  client_id: string;
  tool: string;
  target: string | null;
  outcome: AuditEntry['outcome'];
  error_code: string | null;
  duration_ms: number;
}

/** Targets are paths or ids; a very long one is cut rather than letting a client grow the log without bound. */
const MAX_TARGET = 1000;

/**
 * Each write of SQLite in WAL mode ends in an fsync, which holds up the event loop: one per tool call was the
 * largest single cost of a quick call. So entries are queued and written together, in one transaction, right after
 * the current turn of the event loop; at most the entries of that one turn are lost if the process dies then.
 */
export function auditStore(db: Db, options: { onWriteError?: (error: unknown, lost: number) => void } = {}): AuditStore {
  const insert = db.prepare(
    `INSERT INTO audit_log (at, user_id, client_id, tool, target, outcome, error_code, duration_ms) VALUES (@at, @userId, @clientId, @tool, @target, @outcome, @errorCode, @durationMs)`,
  );
  const insertAll = db.transaction((entries: Array<Omit<AuditEntry, 'id'>>) => {
    for (const entry of entries) insert.run(entry);
  });
  const prune = db.prepare('DELETE FROM audit_log WHERE at < ?');
  let queued: Array<Omit<AuditEntry, 'id'>> = [];
  let scheduled: NodeJS.Immediate | null = null;
  const flush = () => {
    if (scheduled) clearImmediate(scheduled);
    scheduled = null;
    if (queued.length === 0) return;
    const entries = queued;
    queued = [];
    if (!db.open) return options.onWriteError?.(new Error('the database is closed'), entries.length);
    try {
      insertAll(entries);
    } catch (error) {
      // A tool call's answer is never withheld because its entry could not be written; the failure is reported.
      options.onWriteError?.(error, entries.length);
    }
  };
  return {
    record(entry) {
      queued.push({
        ...entry,
        target: entry.target === null ? null : entry.target.slice(0, MAX_TARGET),
        durationMs: Math.round(entry.durationMs),
      });
      scheduled ??= setImmediate(flush);
    },
    flush,
    query(query = {}) {
      flush();
      const filters = auditQuerySchema.parse(query);
      const conditions = {
        user: 'user_id = @user',
        client: 'client_id = @client',
        tool: 'tool = @tool',
        outcome: 'outcome = @outcome',
        since: 'at >= @since',
        before: 'id < @before',
      } as const;
      const where: string[] = [];
      const params: Record<string, unknown> = { limit: filters.limit };
      for (const [name, condition] of Object.entries(conditions) as Array<[keyof typeof conditions, string]>) {
        if (filters[name] === undefined) continue;
        where.push(condition);
        params[name] = filters[name];
      }
      const rows = db
        .prepare(`SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT @limit`)
        .all(params) as Row[];
      return rows.map((row) => ({
        id: row.id,
        at: row.at,
        userId: row.user_id,
        clientId: row.client_id,
        tool: row.tool,
        target: row.target,
        outcome: row.outcome,
        errorCode: row.error_code,
        durationMs: row.duration_ms,
      }));
    },
    prune(retentionDays) {
      flush();
      return prune.run(Date.now() - retentionDays * 86_400_000).changes;
    },
  };
}
