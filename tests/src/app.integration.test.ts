// The real app process, registered in the simulated Nextcloud with the occ flow, reached through both proxies.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { occRegister } from '../support/register-app.js';
import type { Simulator } from '../nextcloud-sim/index.js';
import { startSimulator } from '../nextcloud-sim/index.js';
import type { AppProcess } from '../support/app-process.js';
import { HARP_SHARED_KEY, startAppProcess } from '../support/app-process.js';
import { ADMIN_FORM_ID, PERSONAL_FORM_ID } from '../../src/policy/settings-form.js';

describe('MCP Gateway behind the PHP proxy (manual-install daemon)', () => {
  let sim: Simulator;
  let app: AppProcess;
  let registration: { code: number; output: string };
  const proxied = (suffix: string) => `${sim.url}/index.php/apps/app_api/proxy/mcp_gateway/${suffix}`;

  beforeAll(async () => {
    sim = await startSimulator({ dav: false });
    // No policy cache here: these tests read a setting right after changing it.
    app = await startAppProcess({ nextcloudUrl: sim.url, env: { MCP_GATEWAY_POLICY_TTL_SECONDS: '0' } });
    registration = await occRegister(sim, { secret: app.secret, port: app.port! });
  });
  afterAll(async () => {
    await app?.stop();
    await sim?.stop();
  });

  it('registers like occ app_api:app:register: heartbeat, /init progress to 100, /enabled', () => {
    expect(registration).toMatchObject({ code: 0 });
    expect(sim.state.apps.get('mcp_gateway')).toMatchObject({ enabled: true, status: { init: 100, error: '' } });
  });

  it('registers its admin settings form on enable, with the connector URL', () => {
    const form = sim.state.settingsForms.get('mcp_gateway')?.get(ADMIN_FORM_ID);
    expect(form).toMatchObject({ section_type: 'admin', section_id: 'declarative_settings' });
    expect(String(form?.description)).toContain(`${sim.url}/index.php/apps/app_api/proxy/mcp_gateway/mcp`);
  });

  it('has settings the admin settings page can save, and a personal entry under Security', async () => {
    // The page strips "mcp_gateway_" from a form id before saving: a form id holding it would never be saved.
    expect(ADMIN_FORM_ID).not.toContain('mcp_gateway_');
    const saved = await sim.settingsPage.save('admin', 'mcp_gateway', ADMIN_FORM_ID, 'eligible_groups', 'staff');
    expect(saved.status).toBe(200);
    try {
      expect(sim.state.appConfig.get('mcp_gateway')?.get('eligible_groups')?.value).toBe('staff');
      const [form] = sim.settingsPage.render('admin', 'declarative_settings').filter((rendered) => rendered.app === 'mcp_gateway');
      expect(form?.fields.find((field) => field.id === 'eligible_groups')?.value).toBe('staff');
    } finally {
      sim.state.appConfig.get('mcp_gateway')?.delete('eligible_groups');
    }
    const personal = sim.settingsPage.render('personal', 'security', 'alice').filter((rendered) => rendered.app === 'mcp_gateway');
    expect(personal).toHaveLength(1);
    expect(personal[0]).toMatchObject({
      id: PERSONAL_FORM_ID,
      fields: [],
      doc_url: `${sim.url}/index.php/apps/app_api/proxy/mcp_gateway/connections`,
    });
    expect(String(personal[0]!.description)).toContain('/mcp');
  });

  it('removes the settings form of an earlier release on enable, so the admin settings page keeps working', async () => {
    // What 0.1.0 left behind: a form with the same field ids, which breaks the whole page while it exists.
    const current = sim.state.settingsForms.get('mcp_gateway')!.get(ADMIN_FORM_ID)!;
    sim.state.settingsForms.get('mcp_gateway')!.set('mcp_gateway_admin', { ...current, id: 'mcp_gateway_admin' });
    expect(() => sim.settingsPage.render('admin', 'declarative_settings')).toThrow();
    expect(await sim.occ(['app_api:app:enable', 'mcp_gateway'])).toMatchObject({ code: 0 });
    expect([...sim.state.settingsForms.get('mcp_gateway')!.keys()].sort()).toEqual([ADMIN_FORM_ID, PERSONAL_FORM_ID].sort());
    expect(sim.settingsPage.render('admin', 'declarative_settings').some((form) => form.app === 'mcp_gateway')).toBe(true);
  });

  it('serves the landing page through the proxy with no-store and its own CSP', async () => {
    const response = await fetch(proxied(''));
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(await response.text()).toContain(`<code id="connector-url">${sim.url}/index.php/apps/app_api/proxy/mcp_gateway/mcp</code>`);
  });

  it('acts as the logged-in user: /api/v1/me asks Nextcloud as that user', async () => {
    const alice = await fetch(proxied('api/v1/me'), { headers: { cookie: sim.sessionCookie('alice') } });
    expect(alice.status).toBe(200);
    expect(await alice.json()).toEqual({ id: 'alice', displayName: 'Alice Liddell', email: 'alice@example.com', groups: ['staff'] });
    const bob = await fetch(proxied('api/v1/me'), { headers: { cookie: sim.sessionCookie('bob') } });
    expect(((await bob.json()) as { id: string }).id).toBe('bob');
    // A PUBLIC route that checks the session itself: Nextcloud's 404 would hide why.
    const anonymous = await fetch(proxied('api/v1/me'));
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ error: 'unauthorized' });
    expect(sim.state.impersonationLog.some((entry) => entry.appId === 'mcp_gateway' && entry.userId === 'bob')).toBe(true);
  });

  it("sends a logged-out person from Connected apps to Nextcloud's login and back", async () => {
    for (const [method, suffix] of [
      ['GET', 'connections'],
      ['POST', 'connections/revoke'],
    ] as const) {
      const response = await fetch(proxied(suffix), {
        method,
        ...(method === 'POST'
          ? { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'client_id=x&form_token=y' }
          : {}),
      });
      expect(response.status).toBe(200);
      const page = await response.text();
      expect(page).toContain(
        `${sim.url}/index.php/login?redirect_url=${encodeURIComponent('/index.php/apps/app_api/proxy/mcp_gateway/connections')}`,
      );
      expect(page).toContain('http-equiv="refresh"');
    }
    const signedIn = await fetch(proxied('connections'), { headers: { cookie: sim.sessionCookie('alice') } });
    expect(await signedIn.text()).toContain('Connected apps');
  });

  it('reports its status to admins only', async () => {
    expect((await fetch(proxied('admin/api/v1/status'), { headers: { cookie: sim.sessionCookie('alice') } })).status).toBe(404);
    const response = await fetch(proxied('admin/api/v1/status'), { headers: { cookie: sim.sessionCookie('admin') } });
    expect(response.status).toBe(200);
    const status = (await response.json()) as Record<string, unknown>;
    expect(status).toMatchObject({
      app: { id: 'mcp_gateway', version: app.version, registeredVersion: app.version },
      connectorUrl: `${sim.url}/index.php/apps/app_api/proxy/mcp_gateway/mcp`,
      publicBaseUrlSource: 'deployment',
      nextcloud: { version: sim.ctx.serverVersion.string, error: null },
    });
    expect(typeof status.initCompletedAt).toBe('string');
  });

  it("uses the admin's public base URL setting without a restart", async () => {
    const set = await sim.occ([
      'app_api:app:config:set',
      'mcp_gateway',
      'public_base_url',
      '--value',
      'https://cloud.example.com/exapps/mcp_gateway/',
    ]);
    expect(set.code).toBe(0);
    try {
      expect(await (await fetch(proxied(''))).text()).toContain('https://cloud.example.com/exapps/mcp_gateway/mcp');
      // The settings form registered on the next enable shows the same URL.
      expect(await sim.occ(['app_api:app:enable', 'mcp_gateway'])).toMatchObject({ code: 0 });
      expect(String(sim.state.settingsForms.get('mcp_gateway')?.get(ADMIN_FORM_ID)?.description)).toContain(
        'https://cloud.example.com/exapps/mcp_gateway/mcp',
      );
      // A value that is not a URL is not trusted: the last good value stays in force, and the log says why.
      await sim.occ(['app_api:app:config:set', 'mcp_gateway', 'public_base_url', '--value', 'javascript:alert(1)']);
      expect(await (await fetch(proxied(''))).text()).toContain('https://cloud.example.com/exapps/mcp_gateway/mcp');
      await app.waitForOutput('admin settings hold invalid values');
      // Cleared, the deployment's default comes back.
      sim.state.appConfig.get('mcp_gateway')?.delete('public_base_url');
      expect(await (await fetch(proxied(''))).text()).toContain(`${sim.url}/index.php/apps/app_api/proxy/mcp_gateway/mcp`);
    } finally {
      sim.state.appConfig.get('mcp_gateway')?.delete('public_base_url');
    }
  });

  it('answers the heartbeat without authentication and refuses everything else without the secret', async () => {
    const direct = `http://127.0.0.1:${app.port}`;
    expect(await (await fetch(`${direct}/heartbeat`)).json()).toEqual({ status: 'ok' });
    const wrong = await fetch(`${direct}/api/v1/me`, {
      headers: {
        'ex-app-id': 'mcp_gateway',
        'ex-app-version': app.version,
        'authorization-app-api': Buffer.from('alice:not-the-secret').toString('base64'),
      },
    });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: 'wrong_secret' });
    const init = await fetch(`${direct}/init`, { method: 'POST' });
    expect(init.status).toBe(401);
  });

  it('unregisters its form on disable and registers it again on enable', async () => {
    expect(await sim.occ(['app_api:app:disable', 'mcp_gateway'])).toMatchObject({ code: 0 });
    expect(sim.state.settingsForms.get('mcp_gateway')?.has(ADMIN_FORM_ID)).toBe(false);
    expect((await fetch(proxied(''))).status).toBe(404);
    expect(await sim.occ(['app_api:app:enable', 'mcp_gateway'])).toMatchObject({ code: 0 });
    expect(sim.state.settingsForms.get('mcp_gateway')?.has(ADMIN_FORM_ID)).toBe(true);
  });

  it('never writes the secret, bearer tokens, cookies or OAuth codes into its log', async () => {
    const cookie = sim.sessionCookie('alice');
    await fetch(proxied('?code=one-time-code-123&state=xyz'), { headers: { authorization: 'Bearer token-abc-123', cookie } });
    await fetch(proxied('api/v1/me'), { headers: { cookie } });
    await app.waitForOutput('"url":"/api/v1/me"');
    const log = app.output();
    expect(log).toContain('"url":"/?code=%5Bredacted%5D');
    for (const secret of [
      app.secret,
      'token-abc-123',
      'one-time-code-123',
      cookie.split('=')[1]!.split(';')[0]!,
      Buffer.from(`alice:${app.secret}`).toString('base64'),
    ]) {
      expect(log).not.toContain(secret);
    }
  });
});

describe('MCP Gateway behind HaRP (unix socket)', () => {
  let sim: Simulator;
  let app: AppProcess;
  let socketDir: string;

  beforeAll(async () => {
    sim = await startSimulator({ dav: false });
    socketDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-gateway-sock-'));
    const socketPath = path.join(socketDir, 'exapp.sock');
    app = await startAppProcess({ nextcloudUrl: sim.url, harpSocket: socketPath });
    sim.addDaemon({ name: 'harp_proxy', host: 'appapi-harp', harp: true, socketPath, haproxyPassword: HARP_SHARED_KEY });
    const result = await occRegister(sim, { daemon: 'harp_proxy', secret: app.secret, port: 23000 });
    expect(result).toMatchObject({ code: 0 });
  });
  afterAll(async () => {
    await app?.stop();
    await sim?.stop();
    fs.rmSync(socketDir, { recursive: true, force: true });
  });

  it('listens on the socket and is reachable at /exapps/mcp_gateway/', async () => {
    const landing = await fetch(`${sim.url}/exapps/mcp_gateway/`);
    expect(landing.status).toBe(200);
    expect(await landing.text()).toContain('connector-url');
  });

  it('sends a logged-out person to the login instead of a 403 and a blacklist strike, and acts as the session user', async () => {
    for (let attempt = 0; attempt < 12; attempt++) {
      // More than HaRP's blacklist allows (10 failures): none of these counts as one.
      expect((await fetch(`${sim.url}/exapps/mcp_gateway/api/v1/me`)).status).toBe(401);
    }
    const connections = await fetch(`${sim.url}/exapps/mcp_gateway/connections`);
    expect(connections.status).toBe(200);
    // Back to Connected apps at the entrance the person used: HaRP's.
    expect(await connections.text()).toContain(
      `${sim.url}/index.php/login?redirect_url=${encodeURIComponent('/exapps/mcp_gateway/connections')}`,
    );
    const me = await fetch(`${sim.url}/exapps/mcp_gateway/api/v1/me`, { headers: { cookie: sim.sessionCookie('carol') } });
    expect(((await me.json()) as { id: string }).id).toBe('carol');
  });
});

describe('a registration with the wrong secret', () => {
  it('fails at /init and is reported by occ, with nothing enabled', async () => {
    const sim = await startSimulator({ dav: false });
    const app = await startAppProcess({ nextcloudUrl: sim.url });
    try {
      const result = await occRegister(sim, { secret: 'not-the-apps-secret-at-all', port: app.port! });
      expect(result.code).toBe(1);
      expect(result.output).toMatch(/initialization failed: .*401/);
      await app.waitForOutput('rejected a request without valid AppAPI authentication');
      expect(sim.state.apps.get('mcp_gateway')).toMatchObject({ enabled: false });
    } finally {
      await app.stop();
      await sim.stop();
    }
  });
});
