// AppAPI's lifecycle calls: the heartbeat answers without doing anything, /init answers at once and works after,
// and /enabled reports a failure in the only place AppAPI reads it, the body's "error".
import { describe, expect, it, vi } from 'vitest';
import type { LifecycleCallbacks } from '../../lib/appapi/lifecycle.js';
import { LIFECYCLE_ROUTES, lifecycleHandlers } from '../../lib/appapi/lifecycle.js';

function handlers(overrides: Partial<LifecycleCallbacks<string[]>> = {}) {
  const deferred: Array<() => void> = [];
  const callbacks: LifecycleCallbacks<string[]> = {
    displayName: 'Example',
    onInit: async (log) => void log.push('init'),
    onEnabled: async (log) => void log.push('enabled'),
    onDisabled: async (log) => void log.push('disabled'),
    onError: (log, { enabled, message }) => void log.push(`failed ${enabled ? 'enabling' : 'disabling'}: ${message}`),
    defer: (work) => void deferred.push(work),
    ...overrides,
  };
  return { handlers: lifecycleHandlers(callbacks), deferred };
}

describe('lifecycle handlers', () => {
  it('names the three routes, only the heartbeat unsigned', () => {
    expect(LIFECYCLE_ROUTES.map(({ method, url, signed }) => `${method} ${url} ${signed}`)).toEqual([
      'GET /heartbeat false',
      'POST /init true',
      'PUT /enabled true',
    ]);
  });

  it('answers the heartbeat with {status: "ok"}, with what the app adds but never another status', () => {
    expect(handlers().handlers.heartbeat([])).toEqual({ status: 200, body: { status: 'ok' } });
    expect(handlers({ heartbeat: () => ({ status: 'starting', version: '2' }) }).handlers.heartbeat([])).toEqual({
      status: 200,
      body: { status: 'ok', version: '2' },
    });
  });

  it('answers /init before the work starts', () => {
    const log: string[] = [];
    const { handlers: lifecycle, deferred } = handlers();
    expect(lifecycle.init(log)).toEqual({ status: 200, body: {} });
    expect(log).toEqual([]);
    deferred.forEach((work) => work());
    expect(log).toEqual(['init']);
  });

  it('enables on enabled=1, disables on enabled=0, and refuses anything else', async () => {
    const log: string[] = [];
    const { handlers: lifecycle } = handlers();
    expect(await lifecycle.enabled({ enabled: '1' }, log)).toEqual({ status: 200, body: { error: '' } });
    expect(await lifecycle.enabled({ enabled: '0' }, log)).toEqual({ status: 200, body: { error: '' } });
    expect(log).toEqual(['enabled', 'disabled']);
    for (const query of [{}, { enabled: '2' }, { enabled: ['1', '1'] }, undefined]) {
      expect(await lifecycle.enabled(query, log)).toEqual({
        status: 400,
        body: { error: 'The query parameter "enabled" must be 1 or 0.' },
      });
    }
    expect(log).toHaveLength(2);
  });

  it('reports a failure in the body with a 200, as AppAPI reads only the body', async () => {
    const log: string[] = [];
    const { handlers: lifecycle } = handlers({
      onEnabled: () => Promise.reject(new Error('Nextcloud is away')),
      onDisabled: () => Promise.reject('no'),
    });
    expect(await lifecycle.enabled({ enabled: '1' }, log)).toEqual({
      status: 200,
      body: { error: 'Example could not enable: Nextcloud is away' },
    });
    expect(await lifecycle.enabled({ enabled: '0' }, log)).toEqual({ status: 200, body: { error: 'Example could not disable: no' } });
    expect(log).toEqual(['failed enabling: Nextcloud is away', 'failed disabling: no']);
  });

  it('answers with the failure before AppAPI gives up on a slow enable (60 s), and not before the deadline', async () => {
    vi.useFakeTimers();
    try {
      const log: string[] = [];
      const { handlers: lifecycle } = handlers({ onEnabled: () => new Promise(() => {}) });
      let answer: unknown;
      void lifecycle.enabled({ enabled: '1' }, log).then((answered) => (answer = answered));
      await vi.advanceTimersByTimeAsync(49_999);
      expect(answer).toBeUndefined();
      await vi.advanceTimersByTimeAsync(1);
      expect(answer).toEqual({ status: 200, body: { error: 'Example could not enable: it did not finish within 50 s' } });
      expect(log).toEqual(['failed enabling: it did not finish within 50 s']);
      // An enable in time leaves no timer behind.
      expect(await handlers().handlers.enabled({ enabled: '1' }, [])).toEqual({ status: 200, body: { error: '' } });
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
