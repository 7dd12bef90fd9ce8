// The admin gate as a hook: it guards every route of the plugin that registers it, and nothing outside that plugin.
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { Nextcloud } from '../../../lib/index.js';
import { adminOnly } from '../../../src/admin/admin-only.js';
import type { AppApiCaller } from '../../../src/http/appapi-auth.js';

const groups: Record<string, string[]> = { root: ['admin', 'staff'], alice: ['staff'] };
const nextcloud = {
  as: (userId: string) => ({ groups: async () => groups[userId] ?? [] }),
} as unknown as Nextcloud;

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function build(): Promise<FastifyInstance> {
  app = Fastify();
  app.decorateRequest('appApi', null as unknown as AppApiCaller);
  app.addHook('onRequest', async (request) => {
    request.appApi = { userId: String(request.headers['x-user'] ?? ''), registeredVersion: '1' };
  });
  let handled = 0;
  await app.register(async (admin) => {
    await admin.register(adminOnly, { nextcloud });
    admin.get('/admin/page', async (request) => ({ admin: request.adminId, handled: ++handled }));
  });
  app.get('/public', async (request) => ({ admin: request.adminId ?? null }));
  return app;
}

describe('adminOnly', () => {
  it('lets a signed-in admin through and names them on the request', async () => {
    const response = await (await build()).inject({ url: '/admin/page', headers: { 'x-user': 'root' } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ admin: 'root', handled: 1 });
  });

  it('answers 404 to a user outside the admin group and to nobody signed in, before the handler runs', async () => {
    const server = await build();
    for (const headers of [{ 'x-user': 'alice' }, {}]) {
      const response = await server.inject({ url: '/admin/page', headers });
      expect(response.statusCode).toBe(404);
      expect(response.json()).toEqual({ error: 'not_found', message: 'This page is for Nextcloud administrators.' });
    }
    expect((await server.inject({ url: '/admin/page', headers: { 'x-user': 'root' } })).json()).toMatchObject({ handled: 1 });
  });

  it('does not reach routes outside the plugin that registered it', async () => {
    const response = await (await build()).inject({ url: '/public', headers: { 'x-user': 'alice' } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ admin: null });
  });
});
