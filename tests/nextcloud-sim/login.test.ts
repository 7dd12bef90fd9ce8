// Nextcloud's browser login in the simulator: the form, its CSRF token, the session cookies, safe
// redirects and logout; then the same in Chromium, through to the app behind the PHP proxy.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppProcess } from '../support/app-process.js';
import { startAppProcess } from '../support/app-process.js';
import { chromiumAvailable, launchChromium } from '../support/browser.js';
import { registerApp } from '../support/register-app.js';
import type { Simulator } from './index.js';
import { startSimulator } from './index.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ dav: false });
});
afterAll(() => sim?.stop());

async function openForm(redirect = '/index.php/apps/dashboard/') {
  const response = await fetch(`${sim.url}/index.php/login?redirect_url=${encodeURIComponent(redirect)}`);
  const html = await response.text();
  const token = /name="requesttoken" value="([^"]+)"/.exec(html)![1]!;
  const cookie = response.headers.getSetCookie()[0]!.split(';')[0]!;
  return { token, cookie, html };
}

async function submit(form: { token: string; cookie: string }, user: string, password: string, redirect = '/index.php/apps/dashboard/') {
  return fetch(`${sim.url}/index.php/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: form.cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ user, password, requesttoken: form.token, redirect_url: redirect }),
  });
}

describe('login form', () => {
  it('logs in, sets the session cookies and goes back to the redirect URL', async () => {
    const form = await openForm('/index.php/apps/app_api/proxy/x/');
    const response = await submit(form, 'alice', 'alice', '/index.php/apps/app_api/proxy/x/');
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/index.php/apps/app_api/proxy/x/');
    const cookies = response.headers
      .getSetCookie()
      .map((cookie) => cookie.split(';')[0]!)
      .filter((cookie) => !cookie.endsWith('='));
    expect(cookies.map((cookie) => cookie.split('=')[0])).toEqual(['ocsim_session', 'oc_sessionPassphrase']);
    const me = await fetch(`${sim.url}/ocs/v2.php/cloud/user?format=json`, {
      headers: { cookie: cookies.join('; '), 'ocs-apirequest': 'true' },
    });
    expect(((await me.json()) as { ocs: { data: { id: string } } }).ocs.data.id).toBe('alice');
  });

  it('refuses a wrong password, a disabled user and a forged form token', async () => {
    expect((await submit(await openForm(), 'alice', 'bob')).status).toBe(401);
    sim.setUserEnabled('carol', false);
    try {
      const disabled = await submit(await openForm(), 'carol', 'carol');
      expect(disabled.status).toBe(401);
      expect(await disabled.text()).toContain('User disabled');
    } finally {
      sim.setUserEnabled('carol', true);
    }
    const form = await openForm();
    const forged = await submit({ ...form, token: 'forged' }, 'alice', 'alice');
    expect(forged.status).toBe(401);
    expect(
      forged.headers.getSetCookie().some((cookie) => cookie.startsWith('ocsim_session=') && !cookie.startsWith('ocsim_session=;')),
    ).toBe(false);
  });

  it('never redirects outside the instance', async () => {
    for (const target of ['https://evil.example/', '//evil.example/', '/\\evil.example']) {
      const response = await submit(await openForm(target), 'bob', 'bob', target);
      expect(response.headers.get('location')).toBe('/index.php/apps/dashboard/');
    }
  });

  it('logs out only with the session token', async () => {
    const response = await submit(await openForm(), 'bob', 'bob');
    const cookie = response.headers
      .getSetCookie()
      .map((value) => value.split(';')[0])
      .filter((value) => !value!.endsWith('='))
      .join('; ');
    const dashboard = await (await fetch(`${sim.url}/index.php/apps/dashboard/`, { headers: { cookie } })).text();
    const logoutHref = /href="([^"]*logout[^"]*)"/.exec(dashboard)![1]!.replaceAll('&amp;', '&');
    expect((await fetch(`${sim.url}/index.php/logout?requesttoken=wrong`, { headers: { cookie }, redirect: 'manual' })).status).toBe(412);
    expect((await fetch(`${sim.url}${logoutHref}`, { headers: { cookie }, redirect: 'manual' })).status).toBe(303);
    const after = await fetch(`${sim.url}/ocs/v2.php/cloud/user?format=json`, { headers: { cookie, 'ocs-apirequest': 'true' } });
    expect(after.status).toBe(401);
  });
});

// Outside CI a machine without Chromium skips this; CI installs it and must run it.
describe.skipIf(!chromiumAvailable() && !process.env.CI)('in a browser', () => {
  let app: AppProcess;
  beforeAll(async () => {
    app = await startAppProcess({ nextcloudUrl: sim.url });
    await registerApp(sim, { secret: app.secret, port: app.port! });
  });
  afterAll(() => app?.stop());

  it('a person logs in to Nextcloud and the app sees them through the proxy', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const target = '/index.php/apps/app_api/proxy/mcp_gateway/api/v1/me';
      // Anonymous: the app's own answer (its route is PUBLIC and checks the session itself); a USER route would be
      // Nextcloud's 404 here, not a login redirect.
      expect((await page.goto(`${sim.url}${target}`))!.status()).toBe(401);
      await page.goto(`${sim.url}/index.php/login?redirect_url=${encodeURIComponent(target)}`);
      await page.fill('#user', 'bob');
      await page.fill('#password', 'bob');
      await Promise.all([page.waitForURL(`**${target}`), page.click('#submit-form')]);
      expect(JSON.parse(await page.locator('body').innerText())).toMatchObject({ id: 'bob', displayName: 'Bob Builder' });
      await page.goto(`${sim.url}/index.php/apps/app_api/proxy/mcp_gateway/`);
      expect(await page.locator('#connector-url').innerText()).toBe(`${sim.url}/index.php/apps/app_api/proxy/mcp_gateway/mcp`);
      const artifacts = path.join(process.cwd(), 'test-artifacts');
      fs.mkdirSync(artifacts, { recursive: true });
      await page.screenshot({ path: path.join(artifacts, 'landing-page.png') });
    } finally {
      await browser.close();
    }
  });
});
