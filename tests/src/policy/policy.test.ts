import type { FastifyBaseLogger } from 'fastify';
import { describe, expect, it } from 'vitest';
import type { Nextcloud } from '../../../lib/index.js';
import { DEFAULT_POLICY, PolicyUnavailableError, createPolicySource, parsePolicy, policyKeys } from '../../../src/policy/policy.js';

describe('parsePolicy', () => {
  it('takes the defaults for absent keys', () => {
    expect(parsePolicy({})).toEqual({ policy: DEFAULT_POLICY, problems: [] });
  });

  it('reads lists in the forms the settings form stores them', () => {
    const asArray = parsePolicy({ [policyKeys.enabledScopes]: '["files.read","talk.read"]' }).policy.enabledScopes;
    const asCheckboxes = parsePolicy({ [policyKeys.enabledScopes]: '{"files.read":true,"files.write":false,"talk.read":true}' }).policy
      .enabledScopes;
    const asText = parsePolicy({ [policyKeys.enabledScopes]: 'talk.read, files.read' }).policy.enabledScopes;
    expect(asArray).toEqual(['files.read', 'talk.read']);
    expect(asCheckboxes).toEqual(['files.read', 'talk.read']);
    expect(asText).toEqual(['files.read', 'talk.read']);
    expect(parsePolicy({ [policyKeys.eligibleGroups]: 'staff\ninterns' }).policy.eligibleGroups).toEqual(['staff', 'interns']);
  });

  it('read-only mode removes every write scope from the ceiling', () => {
    const { policy } = parsePolicy({ [policyKeys.readOnly]: '1' });
    expect(policy.enabledScopes).toEqual([
      'files.read',
      'calendar.read',
      'talk.read',
      'contacts.read',
      'tasks.read',
      'notes.read',
      'deck.read',
    ]);
  });

  it('reads hidden tags (names may hold spaces), switched-off tools and the confirmation mode', () => {
    const { policy, problems } = parsePolicy({
      [policyKeys.hiddenTags]: 'Legal hold, Confidential\nHR only',
      [policyKeys.disabledTools]: JSON.stringify({ files_delete: true, talk_send_message: false, deck_delete_card: '1' }),
      [policyKeys.confirmation]: ' Always ',
    });
    expect(problems).toEqual([]);
    expect(policy.hiddenTags).toEqual(['Legal hold', 'Confidential', 'HR only']);
    expect(policy.disabledTools).toEqual(['files_delete', 'deck_delete_card']);
    expect(policy.confirmation).toBe('always');
    expect(DEFAULT_POLICY.confirmation).toBe('destructive');
    const bad = parsePolicy({ [policyKeys.confirmation]: 'sometimes', [policyKeys.disabledTools]: 'files delete!' }, policy);
    expect(bad.policy.confirmation).toBe('always');
    expect(bad.policy.disabledTools).toEqual(['files_delete', 'deck_delete_card']);
    expect(bad.problems.map((problem) => problem.key).sort()).toEqual([policyKeys.confirmation, policyKeys.disabledTools].sort());
  });

  it('keeps the last good value of a key that does not validate, and names the problem', () => {
    const previous = { ...DEFAULT_POLICY, accessTokenSeconds: 600, eligibleGroups: ['staff'] };
    const { policy, problems } = parsePolicy(
      {
        [policyKeys.accessTokenMinutes]: 'ten',
        [policyKeys.enabledScopes]: 'files.read, root.access',
        [policyKeys.eligibleGroups]: 'admins',
      },
      previous,
    );
    expect(policy.accessTokenSeconds).toBe(600);
    expect(policy.enabledScopes).toEqual(DEFAULT_POLICY.enabledScopes);
    expect(policy.eligibleGroups).toEqual(['admins']);
    expect(problems.map((problem) => problem.key).sort()).toEqual([policyKeys.accessTokenMinutes, policyKeys.enabledScopes].sort());
    expect(problems.find((problem) => problem.key === policyKeys.enabledScopes)?.message).toContain('root.access');
  });

  it('returns a cleared key to its default, not to the value it had', () => {
    const previous = { ...DEFAULT_POLICY, eligibleGroups: ['staff'], readOnly: true };
    expect(parsePolicy({}, previous).policy).toEqual(DEFAULT_POLICY);
  });

  it('refuses relative or escaping folders and hosts that are not host names', () => {
    expect(parsePolicy({ [policyKeys.folderAllowlist]: '/Projects, Shared' }).problems).toHaveLength(1);
    expect(parsePolicy({ [policyKeys.folderAllowlist]: '/Projects/../Private' }).problems).toHaveLength(1);
    expect(parsePolicy({ [policyKeys.folderAllowlist]: '/Projects/, /Shared/Handbook' }).policy.folderAllowlist).toEqual([
      '/Projects',
      '/Shared/Handbook',
    ]);
    expect(parsePolicy({ [policyKeys.redirectUris]: 'evil, http://evil.example/cb' }).problems).toHaveLength(1);
    expect(parsePolicy({ [policyKeys.redirectUris]: 'chatgpt.com loopback' }).policy.redirectRules).toEqual([
      { kind: 'host', host: 'chatgpt.com' },
      { kind: 'loopback' },
    ]);
  });
});

describe('createPolicySource', () => {
  const silent = { warn: () => undefined, error: () => undefined } as unknown as FastifyBaseLogger;
  /** A Nextcloud whose config answers come from `answer`, one call at a time. */
  const nextcloudAnswering = (answer: () => Promise<Record<string, string>>) =>
    ({ system: () => ({ config: { get: answer } }) }) as unknown as Nextcloud;

  it('serves the last good policy when a reload does not answer, without waiting out the Nextcloud timeout', async () => {
    const clock = manualClock();
    let calls = 0;
    const source = createPolicySource(
      nextcloudAnswering(() => (++calls === 1 ? Promise.resolve({ [policyKeys.readOnly]: '1' }) : new Promise(() => undefined))),
      { ttlMs: 0, log: silent, staleAfterMs: 10, ...clock },
    );
    expect((await source.current()).readOnly).toBe(true);
    // The reload hangs (a blackholed Nextcloud); the request gets the copy instead of hanging with it.
    const answer = settled(source.current());
    await flush();
    expect(answer.done).toBe(false);
    clock.advance(10);
    expect((await answer.promise).readOnly).toBe(true);
    expect(calls).toBe(2);
    expect(clock.timers()).toBe(0);
  });

  it('keeps a read for ttlMs, then reads again', async () => {
    const clock = manualClock();
    let calls = 0;
    const source = createPolicySource(
      nextcloudAnswering(async () => (++calls, { [policyKeys.readOnly]: '1' })),
      { ttlMs: 30_000, log: silent, ...clock },
    );
    await source.current();
    clock.advance(29_999);
    await source.current();
    expect(calls).toBe(1);
    clock.advance(1);
    await source.current();
    expect(calls).toBe(2);
    source.invalidate();
    await source.current();
    expect(calls).toBe(3);
  });

  it('after a failed reload keeps the last good policy, and asks again after two seconds rather than on every request', async () => {
    const clock = manualClock();
    let calls = 0;
    const source = createPolicySource(
      nextcloudAnswering(() =>
        ++calls === 1 ? Promise.resolve({ [policyKeys.readOnly]: '1' }) : Promise.reject(new Error('unreachable')),
      ),
      { ttlMs: 30_000, log: silent, ...clock },
    );
    await source.current();
    clock.advance(30_000);
    expect((await source.current()).readOnly).toBe(true);
    expect(calls).toBe(2);
    clock.advance(1_999);
    expect((await source.current()).readOnly).toBe(true);
    expect(calls).toBe(2);
    clock.advance(1);
    expect((await source.current()).readOnly).toBe(true);
    expect(calls).toBe(3);
  });

  it('refuses before the first good read rather than assume the defaults', async () => {
    const source = createPolicySource(
      nextcloudAnswering(() => Promise.reject(new Error('unreachable'))),
      { ttlMs: 30_000, log: silent, ...manualClock() },
    );
    await expect(source.current()).rejects.toBeInstanceOf(PolicyUnavailableError);
  });

  it('takes a reload that answers in time', async () => {
    let value = '1';
    const source = createPolicySource(
      nextcloudAnswering(async () => ({ [policyKeys.readOnly]: value })),
      { ttlMs: 0, log: silent, staleAfterMs: 1000 },
    );
    expect((await source.current()).readOnly).toBe(true);
    value = '0';
    expect((await source.current()).readOnly).toBe(false);
  });
});

/** A clock that moves only when told, with timers that fire when it passes them. */
function manualClock(start = Date.UTC(2026, 0, 1)) {
  let time = start;
  const timers = new Map<number, { at: number; callback: () => void }>();
  let nextId = 0;
  return {
    now: () => time,
    setTimeout: (callback: () => void, ms: number) => {
      timers.set(++nextId, { at: time + ms, callback });
      return nextId;
    },
    clearTimeout: (id: unknown) => void timers.delete(id as number),
    advance(ms: number) {
      time += ms;
      for (const [id, timer] of [...timers].sort(([, a], [, b]) => a.at - b.at)) {
        if (timer.at > time) break;
        timers.delete(id);
        timer.callback();
      }
    },
    timers: () => timers.size,
  };
}

/** A promise whose settling can be checked without waiting for it. */
function settled<T>(promise: Promise<T>) {
  const state = { promise, done: false };
  promise.finally(() => void (state.done = true)).catch(() => undefined);
  return state;
}

const flush = () => new Promise((resolve) => setImmediate(resolve));
