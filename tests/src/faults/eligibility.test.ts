// Who may use the connector, decided only from what Nextcloud explicitly says: a 401 while the user backend is down
// is not "disabled", an unreachable Nextcloud is "retry", and the last known facts carry a short outage.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Nextcloud } from '../../../lib/index.js';
import { AccountCheckUnavailableError, eligibilityChecker } from '../../../src/oauth/eligibility.js';
import { DEFAULT_POLICY } from '../../../src/policy/policy.js';
import type { Simulator } from '../../nextcloud-sim/index.js';
import type { FaultProxy } from '../../support/fault-proxy.js';
import { startFaultProxy } from '../../support/fault-proxy.js';
import { startLibFixture } from '../../support/lib-fixture.js';

const TIMEOUT_MS = 600;

let sim: Simulator;
let proxy: FaultProxy;
let nextcloud: Nextcloud;

beforeAll(async () => {
  const fixture = await startLibFixture({ dav: false });
  sim = fixture.sim;
  proxy = await startFaultProxy(sim.url);
  nextcloud = fixture.client({ baseUrl: proxy.url, timeoutMs: TIMEOUT_MS });
});
afterAll(async () => {
  await proxy?.close();
  await sim?.stop();
});
beforeEach(() => proxy.set('pass'));

/** A checker with its own clock, so "later" needs no waiting. */
function checker(options: { staleMs?: number } = {}) {
  let now = 1_000_000;
  const check = eligibilityChecker(nextcloud, { ttlMs: 30_000, staleMs: options.staleMs ?? 600_000, now: () => now });
  return { check: (userId: string) => check.check(userId, DEFAULT_POLICY), advance: (ms: number) => void (now += ms) };
}

async function unavailable(promise: Promise<unknown>): Promise<AccountCheckUnavailableError> {
  const outcome = await promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in outcome)) throw new Error(`expected "unknown, retry", got ${JSON.stringify(outcome.value)}`);
  expect(outcome.error).toBeInstanceOf(AccountCheckUnavailableError);
  return outcome.error as AccountCheckUnavailableError;
}

describe('explicit answers', () => {
  it('lets an enabled account in', async () => {
    expect(await checker().check('alice')).toEqual({ ok: true, displayName: 'Alice Liddell' });
  });

  it('refuses a disabled account', async () => {
    sim.setUserEnabled('carol', false);
    try {
      const verdict = await checker().check('carol');
      expect(verdict).toEqual({ ok: false, reason: 'the Nextcloud account carol is disabled' });
    } finally {
      sim.setUserEnabled('carol', true);
    }
  });

  it('refuses an account that does not exist', async () => {
    expect(await checker().check('mallory')).toEqual({ ok: false, reason: 'the Nextcloud account mallory does not exist' });
  });
});

describe('answers that prove nothing', () => {
  it('does not take a 401 while the user backend is down for a disabled account', async () => {
    sim.setUserBackendDown('bob', true);
    try {
      const error = await unavailable(checker().check('bob'));
      expect(error.retryAfterSeconds).toBeGreaterThan(0);
      expect(error.message).toMatch(/^Nextcloud could not confirm the account bob just now: .*user backend/);
    } finally {
      sim.setUserBackendDown('bob', false);
    }
  });

  it('asks again only after a short quiet period, so an outage does not multiply requests', async () => {
    const { check, advance } = checker();
    sim.setUserBackendDown('bob', true);
    try {
      const asked = () => proxy.seen.filter((request) => request.path === '/ocs/v2.php/cloud/user').length;
      await unavailable(check('bob'));
      const first = asked();
      await unavailable(check('bob'));
      expect(asked()).toBe(first);
      advance(2_001);
      await unavailable(check('bob'));
      expect(asked()).toBe(first + 1);
    } finally {
      sim.setUserBackendDown('bob', false);
    }
  });

  it('does not decide "disabled" when the follow-up question goes unanswered either', async () => {
    sim.setUserEnabled('carol', false);
    // The 401 arrives; the questions that would tell disabled from unreachable get a page instead of an answer.
    proxy.set('html', (_method, path) => path.startsWith('/ocs/v1.php/apps/app_api/'));
    try {
      await unavailable(checker().check('carol'));
    } finally {
      sim.setUserEnabled('carol', true);
    }
  });

  it('says "retry" for an account it never saw while Nextcloud cannot be reached', async () => {
    for (const mode of ['refuse', 'html', 'truncate'] as const) {
      proxy.set(mode);
      const error = await unavailable(checker().check('alice'));
      expect(error.message).toContain('Nextcloud');
    }
  });
});

describe('an outage after the facts were known', () => {
  it('keeps serving the last known facts for a bounded time, then says "retry"', async () => {
    const { check, advance } = checker({ staleMs: 120_000 });
    expect((await check('alice')).ok).toBe(true);
    proxy.set('refuse');
    advance(60_000);
    expect(await check('alice')).toEqual({ ok: true, displayName: 'Alice Liddell' });
    advance(61_000);
    await unavailable(check('alice'));
    proxy.set('pass');
    expect((await check('alice')).ok).toBe(true);
  });

  it('keeps a disabled decision, which was explicit', async () => {
    const { check, advance } = checker();
    sim.setUserEnabled('carol', false);
    try {
      expect((await check('carol')).ok).toBe(false);
    } finally {
      sim.setUserEnabled('carol', true);
    }
    proxy.set('stall');
    advance(31_000);
    expect(await check('carol')).toEqual({ ok: false, reason: 'the Nextcloud account carol is disabled' });
  });

  it('asks Nextcloud once for concurrent checks of the same account', async () => {
    const { check, advance } = checker();
    await check('alice');
    advance(31_000);
    const before = proxy.seen.filter((request) => request.path === '/ocs/v2.php/cloud/user').length;
    const verdicts = await Promise.all([check('alice'), check('alice'), check('alice')]);
    expect(verdicts.every((verdict) => verdict.ok)).toBe(true);
    expect(proxy.seen.filter((request) => request.path === '/ocs/v2.php/cloud/user').length - before).toBe(1);
  });
});
