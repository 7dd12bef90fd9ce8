// How AppAPI reads an ExApp's answer to PUT /enabled (AppAPIService::enableExApp): it decodes the body as JSON and
// fails only on a non-empty "error"; a body that is not JSON, or has no such field, is a success.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FixtureApp } from './fixture-app.js';
import { startFixtureApp } from './fixture-app.js';
import type { Simulator } from './index.js';
import { startSimulator } from './index.js';

let sim: Simulator;
const apps: FixtureApp[] = [];
beforeAll(async () => {
  sim = await startSimulator({ dav: false });
});
afterAll(async () => {
  for (const app of apps) await app.close();
  await sim?.stop();
});

async function registerAnswering(id: string, enabledAnswer: string) {
  const app = await startFixtureApp({ enabledAnswer });
  apps.push(app);
  const info = JSON.stringify({
    id,
    name: id,
    version: '1.0.0',
    secret: `${id}-secret`,
    port: app.port,
    routes: [{ url: '^\\/?.*$', verb: 'GET', access_level: 0 }],
  });
  return sim.occ(['app_api:app:register', id, 'manual_install', '--json-info', info, '--wait-finish']);
}

describe('the answer to PUT /enabled', () => {
  it.each([
    ['empty-error', '{"error":""}'],
    ['no-error-field', '{}'],
    ['not-json', 'enabled'],
    ['json-null', 'null'],
  ])('enables the app when it answers %s', async (id, answer) => {
    expect(await registerAnswering(id, answer)).toMatchObject({ code: 0 });
    expect(sim.state.apps.get(id)?.enabled).toBe(true);
  });

  it.each([
    ['string-error', '{"error":"the database is locked"}', 'the database is locked'],
    ['number-error', '{"error":1}', '1'],
  ])('refuses to enable the app when it answers %s, naming the error', async (id, answer, named) => {
    const result = await registerAnswering(id, answer);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain(named);
    expect(sim.state.apps.get(id)?.enabled).toBe(false);
  });
});
