// Sessions are bounded in number (overall, per user and per user and client) and in idle time, a session id only
// works for the user and client that opened it, and no single account can push other people's sessions out.
import { InMemoryTransport, Server } from '@modelcontextprotocol/server';
import { afterEach, describe, expect, it } from 'vitest';
import type { Session } from '../../../src/mcp/sessions.js';
import { SessionRegistry, sessionOwner } from '../../../src/mcp/sessions.js';

/** The registry's clock stands still here: only the lastSeen each test gives a session sets its age. */
const NOW = Date.UTC(2026, 0, 5, 9);

const registries: SessionRegistry[] = [];
afterEach(async () => {
  for (const registry of registries.splice(0)) await registry.closeAll();
});

async function session(id: string, owner: string, lastSeen = NOW): Promise<Session & { closed: () => boolean }> {
  const server = new Server({ name: 't', version: '1' }, { capabilities: {} });
  const [, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  let closed = false;
  server.onclose = () => void (closed = true);
  return {
    id,
    kind: 'streamable',
    owner,
    userId: owner.split('\u0000')[0]!,
    transport: serverSide,
    server,
    lastSeen,
    pending: new Set(),
    closed: () => closed,
  };
}

function registry(limits: { max: number; maxPerOwner: number; idleMs: number; maxPerUser?: number }) {
  const ended: string[] = [];
  const created = new SessionRegistry({ maxPerUser: 100, ...limits }, (evicted, reason) => void ended.push(`${evicted.id}: ${reason}`), {
    now: () => NOW,
  });
  registries.push(created);
  return { sessions: created, ended };
}

describe('session registry', () => {
  const alice = sessionOwner('alice', 'chatgpt');
  const bob = sessionOwner('bob', 'chatgpt');

  it('finds a session only for its owner and kind', async () => {
    const { sessions } = registry({ max: 10, maxPerOwner: 5, idleMs: 60_000 });
    sessions.add(await session('s1', alice));
    expect(sessions.get('s1', alice, 'streamable')?.id).toBe('s1');
    expect(sessions.get('s1', bob, 'streamable')).toBeUndefined();
    expect(sessions.get('s1', sessionOwner('alice', 'claude'), 'streamable')).toBeUndefined();
    expect(sessions.get('s1', alice, 'sse')).toBeUndefined();
    expect(sessions.get('nope', alice, 'streamable')).toBeUndefined();
  });

  it("ends the owner's least recently used session when one app of theirs opens too many", async () => {
    const { sessions, ended } = registry({ max: 10, maxPerOwner: 2, idleMs: 60_000 });
    const first = await session('a1', alice, NOW - 3000);
    sessions.add(first);
    sessions.add(await session('a2', alice, NOW - 2000));
    sessions.add(await session('a3', alice));
    expect(ended).toEqual(['a1: the app opened too many sessions']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(first.closed()).toBe(true);
    expect(sessions.get('a1', alice, 'streamable')).toBeUndefined();
  });

  it('bounds a user across all their apps: registering more clients does not buy more sessions', async () => {
    const { sessions, ended } = registry({ max: 100, maxPerOwner: 2, maxPerUser: 3, idleMs: 60_000 });
    for (let index = 0; index < 6; index++)
      sessions.add(await session(`m${index}`, sessionOwner('mallory', `client-${index}`), NOW - 10_000 + index));
    expect(sessions.size).toBe(3);
    expect(ended).toEqual([
      'm0: the user opened too many sessions',
      'm1: the user opened too many sessions',
      'm2: the user opened too many sessions',
    ]);
  });

  it('when the pool is full, the heaviest holder gives one up, never a person with a single session', async () => {
    const { sessions, ended } = registry({ max: 4, maxPerOwner: 5, maxPerUser: 3, idleMs: 60_000 });
    // Alice's one session is the least recently used of all: plain LRU would end it.
    sessions.add(await session('a1', alice, NOW - 60_000));
    for (let index = 0; index < 3; index++)
      sessions.add(await session(`m${index}`, sessionOwner('mallory', `client-${index}`), NOW - 1000 + index));
    sessions.add(await session('b1', bob));
    expect(ended).toEqual(['m0: too many sessions are open']);
    expect(sessions.get('a1', alice, 'streamable')?.id).toBe('a1');
    expect(sessions.get('b1', bob, 'streamable')?.id).toBe('b1');
  });

  it('ends idle sessions and releases them', async () => {
    const { sessions, ended } = registry({ max: 10, maxPerOwner: 5, idleMs: 60_000 });
    const idle = await session('old', alice, NOW - 120_000);
    sessions.add(idle);
    sessions.add(await session('fresh', alice));
    expect(sessions.sweep()).toBe(1);
    expect(ended).toEqual(['old: idle']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(idle.closed()).toBe(true);
    expect(sessions.size).toBe(1);
    // Using a session keeps it alive.
    sessions.get('fresh', alice, 'streamable');
    expect(sessions.sweep(NOW + 30_000)).toBe(0);
  });
});
