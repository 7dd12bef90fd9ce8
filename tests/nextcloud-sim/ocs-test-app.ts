// Test scaffolding for route modules of the simulator: a bare Fastify app with the routes under test, seeded state,
// and a stand-in for the real login hook that trusts an `x-test-user` header.
import formbody from '@fastify/formbody';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import type { SimContext, SimIdentity, SimState } from './context.js';
import { appApiGeneration } from './appapi/generations.js';
import { createState } from './state.js';
import { seedTalk } from './talk.js';

export const TEST_BASE_URL = 'http://nextcloud.test';

export interface OcsTestApp {
  app: FastifyInstance;
  ctx: SimContext;
  state: SimState;
  /** Sends a request as `user` (null = anonymous); JSON bodies are parsed, 304s have none. */
  call(user: string | null, method: string, url: string, body?: { json?: unknown; form?: Record<string, string> }): Promise<TestResponse>;
  close(): Promise<void>;
}

export interface TestResponse {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  raw: string;
  body: { ocs: { meta: { status: string; statuscode: number; message: string }; data: any } } | null;
}

export async function startOcsTestApp(
  register: (app: FastifyInstance, ctx: SimContext) => void,
  now = Math.floor(Date.now() / 1000),
): Promise<OcsTestApp> {
  const state = createState();
  seedTalk(state, now);
  const generation = appApiGeneration();
  const ctx: SimContext = {
    state,
    baseUrl: () => TEST_BASE_URL,
    // No PHP backend in these tests; nothing listens on the discard port.
    dav: { origin: 'http://127.0.0.1:9', token: '' },
    appApiVersion: generation.reportedVersion,
    generation,
    serverVersion: generation.server,
  };
  const app = Fastify();
  await app.register(formbody);
  app.decorateRequest('nc', null as unknown as SimIdentity);
  app.addHook('onRequest', async (request) => {
    const userId = request.headers['x-test-user'];
    const user = typeof userId === 'string' ? (state.users.get(userId) ?? null) : null;
    request.nc = { user, via: user ? 'basic' : null, appId: null, disabledUser: false };
  });
  register(app, ctx);
  await app.ready();

  return {
    app,
    ctx,
    state,
    async call(user, method, url, body = {}) {
      const headers: Record<string, string> = { 'ocs-apirequest': 'true', accept: 'application/json' };
      if (user) headers['x-test-user'] = user;
      let payload: string | undefined;
      if (body.json !== undefined) {
        headers['content-type'] = 'application/json';
        payload = JSON.stringify(body.json);
      } else if (body.form) {
        headers['content-type'] = 'application/x-www-form-urlencoded';
        payload = new URLSearchParams(body.form).toString();
      }
      const response = await app.inject({ method: method as 'GET', url, headers, payload });
      const raw = response.body;
      return { status: response.statusCode, headers: response.headers, raw, body: raw ? JSON.parse(raw) : null };
    },
    close: () => app.close(),
  };
}
