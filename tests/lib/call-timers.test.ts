// Every call to Nextcloud runs under a timeout that also covers reading its answer. Once the answer has been read,
// its timer must go: a timer left to run out holds memory for the whole timeout after every call, which at a few
// hundred calls a second is a heap that only ever looks like it grows.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LibFixture } from '../support/lib-fixture.js';
import { startLibFixture } from '../support/lib-fixture.js';

/** A timeout no other timer in the process uses, so the call timers can be told apart. */
const TIMEOUT_MS = 43_210;

describe('call timers', () => {
  let fixture: LibFixture;
  beforeAll(async () => {
    fixture = await startLibFixture();
  });
  afterAll(async () => {
    await fixture.sim.stop();
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** The call timers `work` starts, and which of them are still running once it is done. */
  async function timersOf(work: () => Promise<unknown>): Promise<{ started: number; running: number }> {
    const running = new Set<unknown>();
    let started = 0;
    const realSet = globalThis.setTimeout;
    const realClear = globalThis.clearTimeout;
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((callback: () => void, ms?: number) => {
      const timer = realSet(callback, ms);
      if (ms === TIMEOUT_MS) {
        started++;
        running.add(timer);
      }
      return timer;
    }) as typeof setTimeout);
    vi.spyOn(globalThis, 'clearTimeout').mockImplementation(((timer: Parameters<typeof clearTimeout>[0]) => {
      running.delete(timer);
      realClear(timer);
    }) as typeof clearTimeout);
    await work();
    // Settling a body is reported a turn later.
    await new Promise((resolve) => realSet(resolve, 10));
    for (const timer of running) realClear(timer as NodeJS.Timeout);
    return { started, running: running.size };
  }

  it('stops the timer of an OCS call once its answer is read', async () => {
    const alice = fixture.client({ timeoutMs: TIMEOUT_MS }).as('alice');
    const timers = await timersOf(async () => {
      for (let call = 0; call < 5; call++) await alice.currentUser();
    });
    expect(timers.started).toBeGreaterThanOrEqual(5);
    expect(timers.running).toBe(0);
  });

  it('stops the timer of a PROPFIND once its multistatus is read', async () => {
    const alice = fixture.client({ timeoutMs: TIMEOUT_MS }).as('alice');
    const timers = await timersOf(async () => {
      for (let call = 0; call < 5; call++) await alice.files.list('/');
    });
    expect(timers.started).toBeGreaterThanOrEqual(5);
    expect(timers.running).toBe(0);
  });

  it('stops the timer of an answer that is turned away unread', async () => {
    const alice = fixture.client({ timeoutMs: TIMEOUT_MS }).as('alice');
    const timers = await timersOf(async () => {
      await expect(alice.files.stat('/no such file')).rejects.toMatchObject({ code: 'not_found' });
      await expect(alice.talk.conversation('nosuchroom')).rejects.toMatchObject({ status: 404 });
    });
    expect(timers.started).toBeGreaterThanOrEqual(2);
    expect(timers.running).toBe(0);
  });
});
