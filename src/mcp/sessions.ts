// Open MCP sessions (Streamable HTTP and legacy SSE), bounded in number and idle time. A session belongs to the
// user and client that opened it: a request for another owner's session id is answered like an unknown one. The
// session is never what authenticates a request; the token is checked on every request before this is asked.
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';

export interface Session {
  id: string;
  kind: 'streamable' | 'sse';
  owner: string;
  transport: Transport;
  server: Server;
  lastSeen: number;
}

export interface SessionLimits {
  /** Sessions kept in all. */
  max: number;
  /** Sessions kept per user and client; the least recently used of theirs goes first. */
  maxPerOwner: number;
  idleMs: number;
}

export function sessionOwner(userId: string, clientId: string): string {
  return `${userId}\u0000${clientId}`;
}

export class SessionRegistry {
  private readonly sessions = new Map<string, Session>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    readonly limits: SessionLimits,
    private readonly onEvict: (session: Session, reason: string) => void = () => {},
  ) {
    this.sweeper = setInterval(() => this.sweep(), Math.min(60_000, Math.max(1000, limits.idleMs / 4)));
    this.sweeper.unref();
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Adds a session, making room first: the owner's least recently used, then anyone's. */
  add(session: Session): void {
    const owned = [...this.sessions.values()].filter((candidate) => candidate.owner === session.owner);
    if (owned.length >= this.limits.maxPerOwner) this.end(leastRecent(owned)!, 'the user opened too many sessions');
    if (this.sessions.size >= this.limits.max) this.end(leastRecent([...this.sessions.values()])!, 'too many sessions are open');
    this.sessions.set(session.id, session);
  }

  /** The session if it exists, is of this kind and belongs to this owner; marks it used. */
  get(id: string, owner: string, kind: Session['kind']): Session | undefined {
    const session = this.sessions.get(id);
    if (!session || session.owner !== owner || session.kind !== kind) return undefined;
    session.lastSeen = Date.now();
    return session;
  }

  /** Forgets a session that ended by itself (client DELETE, stream closed). */
  forget(id: string): void {
    this.sessions.delete(id);
  }

  sweep(now = Date.now()): number {
    let ended = 0;
    for (const session of [...this.sessions.values()]) {
      if (now - session.lastSeen > this.limits.idleMs) {
        this.end(session, 'idle');
        ended++;
      }
    }
    return ended;
  }

  async closeAll(): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.all([...this.sessions.values()].map((session) => this.end(session, 'the app is stopping')));
  }

  private end(session: Session, reason: string): Promise<void> {
    this.sessions.delete(session.id);
    this.onEvict(session, reason);
    // Closing the server closes its transport, ending an open stream and releasing what the session held.
    return session.server.close().catch(() => undefined);
  }
}

function leastRecent(sessions: Session[]): Session | undefined {
  return sessions.reduce<Session | undefined>((oldest, session) => (!oldest || session.lastSeen < oldest.lastSeen ? session : oldest), undefined);
}
