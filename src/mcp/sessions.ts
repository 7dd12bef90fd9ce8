// Open MCP sessions of the 2025 protocol revisions (Streamable HTTP and legacy SSE), bounded in number and idle
// time. A session belongs to the user and client that opened it: a request for another owner's session id is
// answered like an unknown one. The session is never what authenticates a request; the token is checked on every
// request before this is asked.
//
// Bounds: one client of one user, and one user across all their clients, hold at most a few sessions; making room
// ends their own least recently used session. When the whole pool is full, the user holding the most sessions
// gives one up, so no single account can fill the pool or push other people out.
import type { ServerResponse } from 'node:http';
import type { Server, Transport } from '@modelcontextprotocol/server';

/** A JSON-RPC id as it appears on the wire. */
export type RpcId = string | number;

/** One HTTP exchange a session's transport has not answered yet, with the ids of the requests it carries. */
export interface PendingExchange {
  ids: RpcId[];
  res: ServerResponse;
}

export interface Session {
  id: string;
  kind: 'streamable' | 'sse';
  owner: string;
  userId: string;
  transport: Transport;
  server: Server;
  lastSeen: number;
  pending: Set<PendingExchange>;
}

export interface SessionLimits {
  /** Sessions kept in all. */
  max: number;
  /** Sessions kept per user and client. */
  maxPerOwner: number;
  /** Sessions kept per user, all their clients together. */
  maxPerUser: number;
  idleMs: number;
}

export function sessionOwner(userId: string, clientId: string): string {
  return `${userId}\u0000${clientId}`;
}

/** The JSON-RPC messages of a body: one message or a batch (anything else in it is no message). */
export function rpcMessages(body: unknown): Array<{ id?: unknown; method?: unknown; params?: { name?: unknown } }> {
  return (Array.isArray(body) ? body : [body]).filter(
    (message): message is { method?: unknown } => typeof message === 'object' && message !== null,
  );
}

/** The JSON-RPC request ids a message (or batch) carries; notifications and responses have none. */
export function requestIds(body: unknown): RpcId[] {
  return rpcMessages(body).flatMap(({ id, method }) =>
    typeof method === 'string' && (typeof id === 'string' || typeof id === 'number') ? [id] : [],
  );
}

/**
 * Answers an exchange the transport will never answer because its session ended: one JSON-RPC error per request,
 * as a JSON body, or as events on a stream that is already open.
 */
export function answerAbandoned(exchange: PendingExchange, message: string): void {
  const { res, ids } = exchange;
  if (res.writableEnded || res.destroyed) return;
  const errors = ids.map((id) => ({ jsonrpc: '2.0' as const, id, error: { code: -32000, message } }));
  if (!res.headersSent) {
    const body = JSON.stringify(errors.length === 1 ? errors[0] : errors);
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(body);
    return;
  }
  for (const error of errors) res.write(`event: message\ndata: ${JSON.stringify(error)}\n\n`);
  res.end();
}

export interface SessionClock {
  /** Epoch milliseconds; a session's lastSeen is on this clock. */
  now?: () => number;
  /** The idle sweep's timer; tests pass one that fires when they advance their clock. */
  setInterval?: (callback: () => void, ms: number) => unknown;
  clearInterval?: (timer: unknown) => void;
}

export class SessionRegistry {
  private readonly sessions = new Map<string, Session>();
  private readonly sweeper: unknown;
  /** The time on the registry's clock, for a new session's lastSeen. */
  readonly now: () => number;
  private readonly stopSweeper: (timer: unknown) => void;

  constructor(
    readonly limits: SessionLimits,
    private readonly onEnd: (session: Session, reason: string) => void = () => {},
    clock: SessionClock = {},
  ) {
    this.now = clock.now ?? Date.now;
    this.stopSweeper = clock.clearInterval ?? ((timer: unknown) => clearInterval(timer as NodeJS.Timeout));
    // The sweep must not keep the process alive on its own.
    const every = clock.setInterval ?? ((callback: () => void, ms: number) => setInterval(callback, ms).unref());
    this.sweeper = every(() => this.sweep(), Math.min(60_000, Math.max(1000, limits.idleMs / 4)));
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Adds a session, making room first: the owner's least recently used, the user's, then the heaviest user's. */
  add(session: Session): void {
    const all = [...this.sessions.values()];
    const owned = all.filter((candidate) => candidate.owner === session.owner);
    if (owned.length >= this.limits.maxPerOwner) void this.end(leastRecent(owned)!, 'the app opened too many sessions');
    const users = all.filter((candidate) => candidate.userId === session.userId && this.sessions.has(candidate.id));
    if (users.length >= this.limits.maxPerUser) void this.end(leastRecent(users)!, 'the user opened too many sessions');
    if (this.sessions.size >= this.limits.max) void this.end(leastRecent(this.heaviestHolder())!, 'too many sessions are open');
    this.sessions.set(session.id, session);
  }

  /** The session if it exists, is of this kind and belongs to this owner; marks it used. */
  get(id: string, owner: string, kind: Session['kind']): Session | undefined {
    const session = this.sessions.get(id);
    if (!session || session.owner !== owner || session.kind !== kind) return undefined;
    session.lastSeen = this.now();
    return session;
  }

  /** Ends a session by id (client DELETE, closed stream); unknown ids are ignored. */
  close(id: string, reason: string): Promise<void> {
    const session = this.sessions.get(id);
    return session ? this.end(session, reason) : Promise.resolve();
  }

  sweep(now = this.now()): number {
    let ended = 0;
    for (const session of [...this.sessions.values()]) {
      if (session.pending.size === 0 && now - session.lastSeen > this.limits.idleMs) {
        void this.end(session, 'idle');
        ended++;
      }
    }
    return ended;
  }

  async closeAll(reason = 'the app is stopping'): Promise<void> {
    this.stopSweeper(this.sweeper);
    await Promise.all([...this.sessions.values()].map((session) => this.end(session, reason)));
  }

  private heaviestHolder(): Session[] {
    const byUser = new Map<string, Session[]>();
    for (const session of this.sessions.values()) {
      const held = byUser.get(session.userId);
      if (held) held.push(session);
      else byUser.set(session.userId, [session]);
    }
    return [...byUser.values()].reduce((heaviest, sessions) => (sessions.length > heaviest.length ? sessions : heaviest), [] as Session[]);
  }

  private end(session: Session, reason: string): Promise<void> {
    if (!this.sessions.delete(session.id)) return Promise.resolve();
    this.onEnd(session, reason);
    // What the transport will never answer now gets an error instead of a response that never comes.
    for (const exchange of session.pending)
      answerAbandoned(exchange, `The MCP session ended (${reason}) before this request was answered; start a new session and retry.`);
    session.pending.clear();
    // Closing the server closes its transport, ending an open stream and releasing what the session held.
    return session.server.close().catch(() => undefined);
  }
}

function leastRecent(sessions: Session[]): Session | undefined {
  return sessions.reduce<Session | undefined>(
    (oldest, session) => (!oldest || session.lastSeen < oldest.lastSeen ? session : oldest),
    undefined,
  );
}
