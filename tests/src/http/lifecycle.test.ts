// The gateway's answers to AppAPI's lifecycle calls: enabling registers its forms (dropping a legacy one first) with
// a fresh policy, disabling removes every form it ever registered, and a failure reaches AppAPI in words.
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Nextcloud } from '../../../lib/index.js';
import { loadConfig } from '../../../src/config.js';
import { appApiAuth } from '../../../src/http/appapi-auth.js';
import { lifecycleRoutes } from '../../../src/http/lifecycle.js';
import type { PolicySource } from '../../../src/policy/policy.js';
import { DEFAULT_POLICY } from '../../../src/policy/policy.js';
import { ADMIN_FORM_ID, LEGACY_FORM_IDS, PERSONAL_FORM_ID } from '../../../src/policy/settings-form.js';
import type { Db } from '../../../src/store/database.js';

const config = loadConfig({
  APP_SECRET: 'correct-horse-battery-staple-0123456789',
  NEXTCLOUD_URL: 'https://cloud.example.com',
  APP_VERSION: '1.0.0',
});
const signed = {
  'ex-app-id': config.appId,
  'ex-app-version': '1.0.0',
  'authorization-app-api': Buffer.from(`:${config.appSecret}`).toString('base64'),
};

const calls: string[] = [];
let failWith: Error | undefined;
const nextcloud = {
  system: () => ({
    settings: {
      registerForm: async (form: { id: string }) => {
        if (failWith) throw failWith;
        calls.push(`register ${form.id}`);
      },
      unregisterForm: async (id: string) => void calls.push(`unregister ${id}`),
    },
  }),
} as unknown as Nextcloud;
const policy: PolicySource = { current: async () => DEFAULT_POLICY, invalidate: () => void calls.push('invalidate') };

const app = Fastify();
beforeAll(async () => {
  await app.register(appApiAuth, config);
  await app.register(lifecycleRoutes, { config, nextcloud, policy, db: {} as Db, defer: () => undefined });
  await app.ready();
});
afterAll(() => app.close());

describe('lifecycle routes', () => {
  it('answers the heartbeat unsigned, and nothing else', async () => {
    expect((await app.inject({ url: '/heartbeat' })).json()).toEqual({ status: 'ok' });
    expect((await app.inject({ method: 'POST', url: '/init' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'PUT', url: '/enabled?enabled=1' })).statusCode).toBe(401);
  });

  it('answers /init at once', async () => {
    const response = await app.inject({ method: 'POST', url: '/init', headers: signed });
    expect([response.statusCode, response.json()]).toEqual([200, {}]);
  });

  it('registers both forms on enable with a fresh policy, and removes every form on disable', async () => {
    calls.length = 0;
    expect((await app.inject({ method: 'PUT', url: '/enabled?enabled=1', headers: signed })).json()).toEqual({ error: '' });
    expect(calls).toEqual([
      'invalidate',
      ...LEGACY_FORM_IDS.map((id) => `unregister ${id}`),
      `register ${ADMIN_FORM_ID}`,
      `register ${PERSONAL_FORM_ID}`,
    ]);
    calls.length = 0;
    expect((await app.inject({ method: 'PUT', url: '/enabled?enabled=0', headers: signed })).json()).toEqual({ error: '' });
    expect(calls).toEqual([ADMIN_FORM_ID, PERSONAL_FORM_ID, ...LEGACY_FORM_IDS].map((id) => `unregister ${id}`));
  });

  it('refuses a query without enabled=0 or 1, and says why enabling failed', async () => {
    const bad = await app.inject({ method: 'PUT', url: '/enabled?enabled=yes', headers: signed });
    expect([bad.statusCode, bad.json()]).toEqual([400, { error: 'The query parameter "enabled" must be 1 or 0.' }]);
    failWith = new Error('Nextcloud answered 500');
    try {
      const failed = await app.inject({ method: 'PUT', url: '/enabled?enabled=1', headers: signed });
      expect([failed.statusCode, failed.json()]).toEqual([200, { error: 'MCP Gateway could not enable: Nextcloud answered 500' }]);
    } finally {
      failWith = undefined;
    }
  });
});
