// Declarative settings as Nextcloud's settings page and AppAPI handle them: the page strips "<app>_" from the form
// id before saving (a form named mcp_gateway_admin is then not found: nothing stored, still 200), two forms with
// the same field id break every settings page, personal forms without fields show under Personal → Security.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from './index.js';
import { startSimulator } from './index.js';
import { pageFormId, pageValue } from './routes/declarative-settings.js';

let sim: Simulator;
const secret = 'settings-secret';
beforeAll(async () => {
  sim = await startSimulator({ dav: false });
  sim.addExApp({ id: 'mcp_gateway', version: '0.1.0', secret });
});
afterAll(() => sim?.stop());

const appApi = (method: string, path: string, body?: unknown) =>
  fetch(`${sim.url}/ocs/v1.php/apps/app_api${path}`, {
    method,
    headers: {
      'ex-app-id': 'mcp_gateway',
      'ex-app-version': '0.1.0',
      'authorization-app-api': Buffer.from(`:${secret}`).toString('base64'),
      'ocs-apirequest': 'true',
      accept: 'application/json',
      'content-type': 'application/json',
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
const registerForm = async (formScheme: Record<string, unknown>) =>
  expect((await appApi('POST', '/api/v1/ui/settings', { formScheme })).status).toBe(200);
const unregisterForm = async (formId: string) => expect((await appApi('DELETE', `/api/v1/ui/settings?formId=${formId}`)).status).toBe(200);
const adminForm = (id: string, fields: Array<{ id: string; type: string }>) => ({
  id,
  priority: 10,
  section_type: 'admin',
  section_id: 'declarative_settings',
  title: id,
  fields: fields.map((field) => ({ ...field, title: field.id, default: '' })),
});
const stored = (key: string) => sim.state.appConfig.get('mcp_gateway')?.get(key)?.value;

describe('the page side', () => {
  it('strips the first "<app>_" anywhere in the form id, like String.replace with a string pattern', () => {
    expect(pageFormId('mcp_gateway', 'mcp_gateway_admin')).toBe('admin');
    expect(pageFormId('mcp_gateway', 'gateway_admin')).toBe('gateway_admin');
    expect(pageFormId('mcp_gateway', 'x_mcp_gateway_mcp_gateway_y')).toBe('x_mcp_gateway_y');
    expect(pageValue('checkbox', true)).toBe(1);
    expect(pageValue('checkbox', false)).toBe(0);
    expect(pageValue('multi-select', ['a', 'b'])).toBe('["a","b"]');
    expect(pageValue('multi-checkbox', { a: true })).toBe('{"a":true}');
    expect(pageValue('text', 'x')).toBe('x');
  });
});

describe('saving through the page', () => {
  it('a form named <app>_admin: the page sends "admin", AppAPI finds no such form, stores nothing, answers 200', async () => {
    await registerForm(adminForm('mcp_gateway_admin', [{ id: 'public_url', type: 'text' }]));
    const saved = await sim.settingsPage.save('admin', 'mcp_gateway', 'mcp_gateway_admin', 'public_url', 'https://cloud.example.com');
    expect(saved.sent.formId).toBe('admin');
    expect(saved.status).toBe(200);
    expect(stored('public_url')).toBeUndefined();
    // A client that sends the registered id itself (not the page) reaches the form.
    const direct = await fetch(`${sim.url}/ocs/v2.php/settings/api/declarative/value?format=json`, {
      method: 'POST',
      headers: { cookie: sim.sessionCookie('admin'), 'ocs-apirequest': 'true', 'content-type': 'application/json' },
      body: JSON.stringify({ app: 'mcp_gateway', formId: 'mcp_gateway_admin', fieldId: 'public_url', value: 'https://direct.example.com' }),
    });
    expect(direct.status).toBe(200);
    expect(stored('public_url')).toBe('https://direct.example.com');
    await unregisterForm('mcp_gateway_admin');
  });

  it('a form named gateway_admin is stored, with the page encoding of each type; non-admins get 403', async () => {
    await registerForm({
      ...adminForm('gateway_admin', []),
      fields: [
        { id: 'read_only', title: 'R', type: 'checkbox' },
        { id: 'scopes', title: 'S', type: 'multi-select', options: ['a', 'b'] },
      ],
    });
    expect((await sim.settingsPage.save('admin', 'mcp_gateway', 'gateway_admin', 'read_only', true)).status).toBe(200);
    expect(stored('read_only')).toBe('1');
    expect((await sim.settingsPage.save(sim.sessionCookie('admin'), 'mcp_gateway', 'gateway_admin', 'read_only', false)).status).toBe(200);
    expect(stored('read_only')).toBe('0');
    expect((await sim.settingsPage.save('admin', 'mcp_gateway', 'gateway_admin', 'scopes', ['a'])).status).toBe(200);
    expect(stored('scopes')).toBe('["a"]');
    expect((await sim.settingsPage.save('alice', 'mcp_gateway', 'gateway_admin', 'read_only', true)).status).toBe(403);
    expect(stored('read_only')).toBe('0');
    // A field no form of the app has: 400.
    expect((await sim.settingsPage.save('admin', 'mcp_gateway', 'gateway_admin', 'nope', 'x')).status).toBe(400);
    const rendered = sim.settingsPage.render('admin', 'declarative_settings');
    expect(rendered.map((form) => [form.app, form.id])).toEqual([['mcp_gateway', 'gateway_admin']]);
    expect(rendered[0]!.fields.find((field) => field.id === 'read_only')?.value).toBe('0');
  });

  it('a second form reusing a field id makes every settings page fail, and every save 400, until it is unregistered', async () => {
    await registerForm({ ...adminForm('gateway_extra', [{ id: 'read_only', type: 'checkbox' }]) });
    expect(() => sim.settingsPage.render('admin', 'declarative_settings')).toThrow('Non unique field IDs detected: read_only');
    const page = await fetch(`${sim.url}/index.php/settings/admin/declarative_settings`, {
      headers: { cookie: sim.sessionCookie('admin') },
    });
    expect(page.status).toBe(500);
    expect(await page.text()).toContain('Non unique field IDs detected: read_only');
    const forms = await fetch(`${sim.url}/ocs/v2.php/settings/api/declarative/forms?format=json`, {
      headers: { cookie: sim.sessionCookie('alice'), 'ocs-apirequest': 'true' },
    });
    expect(forms.status).toBe(500);
    expect((await sim.settingsPage.save('admin', 'mcp_gateway', 'gateway_admin', 'read_only', true)).status).toBe(400);
    await unregisterForm('gateway_extra');
    expect(
      (await fetch(`${sim.url}/index.php/settings/admin/declarative_settings`, { headers: { cookie: sim.sessionCookie('admin') } })).status,
    ).toBe(200);
    expect((await sim.settingsPage.save('admin', 'mcp_gateway', 'gateway_admin', 'read_only', true)).status).toBe(200);
  });
});

describe('a personal entry under Security', () => {
  it('accepts a personal form without fields and shows it with its description and documentation link', async () => {
    await registerForm({
      id: 'gateway_personal',
      priority: 50,
      section_type: 'personal',
      section_id: 'security',
      title: 'MCP Gateway',
      description: 'Apps connected to your account',
      doc_url: 'https://cloud.example.com/apps/connections',
      fields: [],
    });
    const [entry] = sim.settingsPage.render('personal', 'security', 'alice');
    expect(entry).toMatchObject({
      app: 'mcp_gateway',
      id: 'gateway_personal',
      description: 'Apps connected to your account',
      doc_url: 'https://cloud.example.com/apps/connections',
      fields: [],
    });
    const page = await fetch(`${sim.url}/index.php/settings/user/security`, { headers: { cookie: sim.sessionCookie('alice') } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('data-form-id="gateway_personal"');
    expect(html).toContain('href="https://cloud.example.com/apps/connections"');
    // Admin forms stay off the personal sections and off non-admins' lists.
    const forms = (await (
      await fetch(`${sim.url}/ocs/v2.php/settings/api/declarative/forms?format=json`, {
        headers: { cookie: sim.sessionCookie('alice'), 'ocs-apirequest': 'true' },
      })
    ).json()) as {
      ocs: { data: Array<{ id: string }> };
    };
    expect(forms.ocs.data.map((form) => form.id)).toEqual(['gateway_personal']);
    // A form without the fields key is not valid for Nextcloud: every page fails.
    await registerForm({ id: 'no_fields_key', section_type: 'personal', section_id: 'security', title: 'x' });
    expect(() => sim.settingsPage.render('personal', 'security', 'alice')).toThrow(/Invalid schema/);
    await unregisterForm('no_fields_key');
    await unregisterForm('gateway_personal');
  });
});
