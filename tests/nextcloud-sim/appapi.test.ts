// AppAPI as the app sees it: authentication of ExApp -> Nextcloud calls, config, preferences, settings forms,
// and manifest parsing of the project's own appinfo/info.xml.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appApiGeneration } from './appapi/generations.js';
import { ManifestError, parseInfoXml, parseJsonInfo } from './appapi/manifest.js';
import { phpRouteMatchesPath } from './proxy/routes-table.js';
import type { Simulator } from './index.js';
import { startSimulator } from './index.js';

const secret = 's'.repeat(64);
let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ dav: false });
  sim.addExApp({ id: 'mcp_gateway', version: '0.1.0', secret });
});
afterAll(() => sim?.stop());

const signed = (user: string, overrides: Record<string, string> = {}) => ({
  'ex-app-id': 'mcp_gateway',
  'ex-app-version': '0.1.0',
  'authorization-app-api': Buffer.from(`${user}:${secret}`).toString('base64'),
  'aa-version': '35.0.0',
  'ocs-apirequest': 'true',
  accept: 'application/json',
  'content-type': 'application/json',
  ...overrides,
});
const call = async (method: string, path: string, headers: Record<string, string>, body?: unknown) => {
  const response = await fetch(`${sim.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as any) : null };
};
const APPAPI = '/ocs/v1.php/apps/app_api';

describe("authentication of the app's calls", () => {
  it('impersonates an existing, enabled user', async () => {
    const me = await call('GET', '/ocs/v2.php/cloud/user', signed('alice'));
    expect(me.status).toBe(200);
    expect(me.json.ocs.data).toMatchObject({
      id: 'alice',
      displayname: 'Alice Liddell',
      'display-name': 'Alice Liddell',
      groups: ['staff'],
    });
    expect(me.json.ocs.data.enabled).toBeUndefined();
  });

  it('fails like Nextcloud for a wrong secret, an unknown app and an unknown user', async () => {
    const wrongSecret = signed('alice', { 'authorization-app-api': Buffer.from('alice:wrong').toString('base64') });
    expect(await call('GET', '/ocs/v2.php/cloud/user', wrongSecret)).toMatchObject({
      status: 401,
      json: { ocs: { meta: { statuscode: 997 } } },
    });
    expect(await call('POST', `${APPAPI}/api/v1/ex-app/config/get-values`, wrongSecret, { configKeys: ['x'] })).toEqual({
      status: 401,
      json: { message: 'AppAPI authentication failed' },
    });
    expect((await call('GET', '/ocs/v2.php/cloud/user', signed('alice', { 'ex-app-id': 'other' }))).status).toBe(401);
    expect((await call('GET', '/ocs/v2.php/cloud/user', signed('mallory'))).status).toBe(401);
    expect((await call('GET', '/ocs/v2.php/cloud/user', signed('alice', { 'ex-app-version': '' }))).status).toBe(401);
    expect(sim.throttler.attemptsFor('127.0.0.1', 'app_api')).toBeGreaterThanOrEqual(4);
    sim.throttler.reset('127.0.0.1', 'app_api');
  });

  it('treats a disabled user as not logged in', async () => {
    sim.setUserEnabled('carol', false);
    try {
      expect(await call('GET', '/ocs/v2.php/cloud/user', signed('carol'))).toMatchObject({
        status: 401,
        json: { ocs: { meta: { statuscode: 997 } } },
      });
    } finally {
      sim.setUserEnabled('carol', true);
    }
    expect((await call('GET', '/ocs/v2.php/cloud/user', signed('carol'))).status).toBe(200);
  });

  it('refuses a disabled app except for ex-app/state', async () => {
    const app = sim.state.apps.get('mcp_gateway')!;
    app.enabled = false;
    try {
      expect((await call('GET', '/ocs/v2.php/cloud/user', signed('alice'))).status).toBe(401);
      expect(await call('GET', `${APPAPI}/ex-app/state`, signed(''))).toMatchObject({ status: 200, json: { ocs: { data: 0 } } });
    } finally {
      app.enabled = true;
    }
  });

  it("lets a user see only their own groups, admins everyone's", async () => {
    expect((await call('GET', '/ocs/v2.php/cloud/users/bob/groups', signed('alice'))).status).toBe(404);
    expect((await call('GET', '/ocs/v2.php/cloud/users/bob/groups', signed('admin'))).json.ocs.data).toEqual({ groups: ['staff'] });
    expect((await call('GET', '/ocs/v2.php/cloud/users/alice/groups', signed('alice'))).json.ocs.data).toEqual({ groups: ['staff'] });
  });

  it('offers capabilities without a user, Talk only with one', async () => {
    const system = await call('GET', '/ocs/v2.php/cloud/capabilities', signed(''));
    // Nextcloud's version is the one AppAPI's release belongs to (default AppAPI 35.0.0).
    expect(system.json.ocs.data.version.string).toBe('35.0.0');
    expect(system.json.ocs.data.capabilities.app_api.version).toBe('35.0.0');
    expect(system.json.ocs.data.capabilities.spreed).toBeUndefined();
    const alice = await call('GET', '/ocs/v2.php/cloud/capabilities', signed('alice'));
    expect(alice.json.ocs.data.capabilities.spreed.features).toContain('chat-keep-notifications');
  });
});

describe('config values, preferences and settings forms', () => {
  it('stores config values as strings and returns only existing keys', async () => {
    const set = await call('POST', `${APPAPI}/api/v1/ex-app/config`, signed(''), { configKey: 'read_only', configValue: true });
    expect(set.json.ocs).toMatchObject({
      meta: { statuscode: 100 },
      data: { appid: 'mcp_gateway', configkey: 'read_only', configvalue: '1', sensitive: 0 },
    });
    const values = await call('POST', `${APPAPI}/api/v1/ex-app/config/get-values`, signed(''), { configKeys: ['read_only', 'missing'] });
    expect(values.json.ocs.data).toEqual([{ configkey: 'read_only', configvalue: '1' }]);
    expect((await call('DELETE', `${APPAPI}/api/v1/ex-app/config`, signed(''), { configKeys: ['read_only'] })).json.ocs.data).toBe(1);
    // v1 OCS: a 404 arrives as HTTP 200 with statuscode 404.
    expect(await call('DELETE', `${APPAPI}/api/v1/ex-app/config`, signed(''), { configKeys: ['read_only'] })).toMatchObject({
      status: 200,
      json: { ocs: { meta: { statuscode: 404 } } },
    });
  });

  it('keeps preferences per user and fails without one', async () => {
    await call('POST', `${APPAPI}/api/v1/ex-app/preference`, signed('alice'), { configKey: 'tz', configValue: 'Europe/Berlin' });
    expect(
      (await call('POST', `${APPAPI}/api/v1/ex-app/preference/get-values`, signed('alice'), { configKeys: ['tz'] })).json.ocs.data,
    ).toEqual([{ configkey: 'tz', configvalue: 'Europe/Berlin' }]);
    expect(
      (await call('POST', `${APPAPI}/api/v1/ex-app/preference/get-values`, signed('bob'), { configKeys: ['tz'] })).json.ocs.data,
    ).toEqual([]);
    expect((await call('POST', `${APPAPI}/api/v1/ex-app/preference/get-values`, signed(''), { configKeys: ['tz'] })).status).toBe(500);
  });

  it('registers, reads and deletes declarative settings forms; a malformed one is stored and breaks the settings page', async () => {
    const form = {
      id: 'f1',
      priority: 10,
      section_type: 'admin',
      section_id: 'declarative_settings',
      title: 'T',
      fields: [{ id: 'a', title: 'A', type: 'text', default: '' }],
    };
    expect((await call('POST', `${APPAPI}/api/v1/ui/settings`, signed(''), { formScheme: form })).json.ocs.meta.statuscode).toBe(100);
    expect((await call('GET', `${APPAPI}/api/v1/ui/settings?formId=f1`, signed(''))).json.ocs.data).toMatchObject({
      id: 'f1',
      storage_type: 'external',
    });
    // AppAPI checks nothing but the id; Nextcloud's DeclarativeManager refuses the scheme when a page loads it.
    expect((await call('POST', `${APPAPI}/api/v1/ui/settings`, signed(''), { formScheme: { id: 'f2' } })).json.ocs.meta.statuscode).toBe(
      100,
    );
    expect(() => sim.settingsPage.render('admin', 'declarative_settings')).toThrow(/Invalid schema/);
    expect((await call('DELETE', `${APPAPI}/api/v1/ui/settings?formId=f2`, signed(''))).json.ocs.meta.statuscode).toBe(100);
    expect(sim.settingsPage.render('admin', 'declarative_settings').map((rendered) => rendered.id)).toEqual(['f1']);
    // Without a string id the lookup by (app, form id) is a TypeError: 500.
    expect((await call('POST', `${APPAPI}/api/v1/ui/settings`, signed(''), { formScheme: { title: 'no id' } })).status).toBe(500);
    expect((await call('DELETE', `${APPAPI}/api/v1/ui/settings?formId=f1`, signed(''))).json.ocs.meta.statuscode).toBe(100);
    expect((await call('GET', `${APPAPI}/api/v1/ui/settings?formId=f1`, signed(''))).json.ocs.meta.statuscode).toBe(404);
    expect((await call('DELETE', `${APPAPI}/api/v1/ui/settings?formId=f1`, signed(''))).json.ocs.meta.statuscode).toBe(404);
  });

  it('answers an out-of-range init progress with a server error', async () => {
    expect((await call('PUT', `${APPAPI}/ex-app/status`, signed(''), { progress: 101 })).status).toBe(500);
  });
});

describe('manifest', () => {
  const infoXml = fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'appinfo', 'info.xml'), 'utf8');

  it("parses the project's info.xml on every release: ^\\/?…$ routes, explicit verbs, names as access levels, no lifecycle routes", () => {
    for (const version of ['32.0.5', '32.0.9', '32.0.10', '33.0.3', '34.0.3', '35.0.0']) {
      const generation = appApiGeneration(version);
      const manifest = parseInfoXml(infoXml, generation);
      expect(manifest).toMatchObject({ id: 'mcp_gateway', name: 'MCP Gateway' });
      expect(manifest.routeInsertFailure).toBeUndefined();
      expect(manifest.routes.length).toBeGreaterThan(0);
      for (const route of manifest.routes) {
        // Routes with and without the leading slash, so that every release's matching (and HaRP's) finds them.
        expect(route.url).toMatch(/^\^\\\/\?.*\$$/);
        expect(route.verb).toMatch(/^(GET|POST|PUT|DELETE)(,(GET|POST|PUT|DELETE))*$/);
        expect([0, 1, 2]).toContain(route.access_level);
        for (const lifecycle of ['heartbeat', 'init', 'enabled']) expect(phpRouteMatchesPath(route.url, lifecycle, generation)).toBe(false);
      }
      expect(manifest.routes.find((route) => phpRouteMatchesPath(route.url, 'mcp', generation))?.access_level).toBe(0);
    }
    expect(infoXml).toMatch(/<access_level>(PUBLIC|USER|ADMIN)<\/access_level>/);
  });

  it('rejects invalid routes like AppAPI 35', () => {
    expect(() =>
      parseJsonInfo('{"id":"x","name":"X","version":"1","routes":[{"url":"^/a$","verb":"GET","access_level":"0"}]}', 'x'),
    ).toThrow(ManifestError);
    expect(() =>
      parseJsonInfo(
        '{"id":"x","name":"X","version":"1","routes":[{"url":"^/a$","verb":"GET","access_level":1,"bruteforce_protection":"nope"}]}',
        'x',
      ),
    ).toThrow(ManifestError);
    expect(() => parseJsonInfo('{"name":"X"}', '')).toThrow(/non-empty id/);
  });
});
