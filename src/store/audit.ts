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
  record(entry: Omit<AuditEntry, 'id'>): void;
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

export function auditStore(db: Db): AuditStore {
  const insert = db.prepare(
    `INSERT INTO audit_log (at, user_id, client_id, tool, target, outcome, error_code, duration_ms) VALUES (@at, @userId, @clientId, @tool, @target, @outcome, @errorCode, @durationMs)`,
  );
  const prune = db.prepare('DELETE FROM audit_log WHERE at < ?');
  return {
    record(entry) {
      insert.run({ ...entry, target: entry.target === null ? null : entry.target.slice(0, MAX_TARGET), durationMs: Math.round(entry.durationMs) });
    },
    query(query = {}) {
      const filters = auditQuerySchema.parse(query);
      const where: string[] = [];
      const params: Record<string, unknown> = { limit: filters.limit };
      if (filters.user) (where.push('user_id = @user'), (params.user = filters.user));
      if (filters.client) (where.push('client_id = @client'), (params.client = filters.client));
      if (filters.tool) (where.push('tool = @tool'), (params.tool = filters.tool));
      if (filters.outcome) (where.push('outcome = @outcome'), (params.outcome = filters.outcome));
      if (filters.since !== undefined) (where.push('at >= @since'), (params.since = filters.since));
      if (filters.before !== undefined) (where.push('id < @before'), (params.before = filters.before));
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
      return prune.run(Date.now() - retentionDays * 86_400_000).changes;
    },
  };
}
