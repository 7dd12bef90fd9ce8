// The admin constrains the connector in Nextcloud's settings (the declarative form the app registers), and
// each change applies on the next request after the policy bound, without a restart.
import fs from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SCOPES } from '../../../src/core/scopes.js';
import { policyKeys } from '../../../src/policy/policy.js';
import { ADMIN_FORM_ID } from '../../../src/policy/settings-form.js';
import { allTools } from '../../../src/tools/index.js';
import { chromiumAvailable, launchChromium, openAfterLogin } from '../../support/browser.js';
import type { Deployment } from '../../support/deployment.js';
import { deploy, settingsReread } from '../../support/deployment.js';
import { rawOAuth, redirectUri } from '../../support/oauth-raw.js';

let d: Deployment;
const { navigationTarget, returnLink, pkce, register, authorizePage, obtainCode, exchange, mcp } = rawOAuth(() => d);

beforeAll(async () => {
  d = await deploy('php', { env: { MCP_GATEWAY_POLICY_TTL_SECONDS: '0.05' }, sim: { dav: true } });
});
afterAll(() => d?.stop());
afterEach(async () => {
  d.sim.state.appConfig.delete('mcp_gateway');
  await settingsReread(d);
});

/** What Nextcloud's admin settings page does when an admin changes a field of the app's form. */
async function save(fieldId: string, value: unknown, as = 'admin'): Promise<number> {
  return (await d.sim.settingsPage.save(as, 'mcp_gateway', ADMIN_FORM_ID, fieldId, value)).status;
}

async function whoami(accessToken: string) {
  const client = new Client({ name: 'policy-test', version: '1' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(d.connector), { requestInit: { headers: { authorization: `Bearer ${accessToken}` } } }),
  );
  try {
    return (await client.callTool({ name: 'whoami', arguments: {} })).structuredContent as { userId: string; scopes: string[] };
  } finally {
    await client.close();
  }
}

/** A connected SDK client with a bearer token, as a client that already went through OAuth. */
async function connected(accessToken: string): Promise<Client> {
  const client = new Client({ name: 'policy-test', version: '1' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(d.connector), { requestInit: { headers: { authorization: `Bearer ${accessToken}` } } }),
  );
  return client;
}

const toolNames = async (client: Client) => (await client.listTools()).tools.map((tool) => tool.name);
const text = (result: Awaited<ReturnType<Client['callTool']>>) => (result.content as Array<{ text: string }>)[0]!.text;

async function tokenFor(user: string, scope: string): Promise<string> {
  const tokens = await exchange(await obtainCode(user, scope));
  expect(tokens.status).toBe(200);
  return tokens.body.access_token!;
}

const advertised = async () =>
  ((await (await fetch(`${d.base}/.well-known/oauth-protected-resource/mcp`)).json()) as { scopes_supported: string[] }).scopes_supported;

describe('the admin settings form', () => {
  it('holds every policy setting, and only admins may save it', async () => {
    const form = d.sim.state.settingsForms.get('mcp_gateway')?.get(ADMIN_FORM_ID) as unknown as {
      fields: Array<{ id: string }>;
      description: string;
    };
    expect(form.fields.map((field) => field.id).sort()).toEqual(Object.values(policyKeys).sort());
    expect(form.description).toContain(d.connector);
    expect(await save(policyKeys.readOnly, true, 'alice')).toBe(403);
    expect(d.sim.state.appConfig.get('mcp_gateway')?.get(policyKeys.readOnly)).toBeUndefined();
  });

  it('scope ceiling: a disabled scope vanishes from tokens already issued, from discovery, and cannot be asked for', async () => {
    const token = await tokenFor('alice', 'files.read files.write talk.read');
    expect((await whoami(token)).scopes).toEqual(['files.read', 'files.write', 'talk.read']);
    expect(
      await save(
        policyKeys.enabledScopes,
        JSON.stringify({
          'files.read': true,
          'files.write': true,
          'calendar.read': false,
          'calendar.write': false,
          'talk.read': false,
          'talk.write': false,
        }),
      ),
    ).toBe(200);
    await settingsReread(d);
    expect((await whoami(token)).scopes).toEqual(['files.read', 'files.write']);
    expect(await advertised()).toEqual(['files.read', 'files.write']);
    const client = (await register()).body.client_id!;
    const { page } = await authorizePage(
      {
        client_id: client,
        redirect_uri: redirectUri,
        response_type: 'code',
        code_challenge: pkce().challenge,
        code_challenge_method: 'S256',
        scope: 'talk.read',
      },
      'alice',
    );
    // A client alice never consented to: the error is shown, with a link back she may follow.
    expect(navigationTarget(page)).toBeNull();
    expect(new URL(returnLink(page)!).searchParams.get('error')).toBe('invalid_scope');
  });

  it('read-only mode removes every write scope at once, and switching it off brings them back', async () => {
    const token = await tokenFor('alice', 'files.read files.write calendar.write talk.write');
    expect(await save(policyKeys.readOnly, true)).toBe(200);
    await settingsReread(d);
    expect((await whoami(token)).scopes).toEqual(['files.read']);
    expect(await advertised()).toEqual([
      'files.read',
      'calendar.read',
      'talk.read',
      'contacts.read',
      'tasks.read',
      'notes.read',
      'deck.read',
    ]);
    expect(await save(policyKeys.readOnly, false)).toBe(200);
    await settingsReread(d);
    expect((await whoami(token)).scopes).toEqual(['files.read', 'files.write', 'calendar.write', 'talk.write']);
  });

  it('eligible groups: a user outside them is refused on the next request after the bound, and admitted again after', async () => {
    const token = await tokenFor('alice', 'files.read');
    expect(await save(policyKeys.eligibleGroups, 'interns, admin')).toBe(200);
    await settingsReread(d);
    expect((await mcp(token)).status).toBe(401);
    expect(await save(policyKeys.eligibleGroups, '')).toBe(200);
    await settingsReread(d);
    expect((await mcp(token)).status).toBe(200);
  });

  it('client policy: registration can be turned off, and redirect URIs narrowed (a host admits any https path on it)', async () => {
    expect(await save(policyKeys.redirectUris, 'claude.ai')).toBe(200);
    await settingsReread(d);
    expect((await register({ redirect_uris: ['https://chatgpt.com/connector/oauth/x1'] })).body.error).toBe('invalid_redirect_uri');
    expect((await register({ redirect_uris: ['http://127.0.0.1:5000/cb'] })).body.error).toBe('invalid_redirect_uri');
    expect((await register({ redirect_uris: ['https://claude.ai/api/mcp/auth_callback'] })).status).toBe(201);
    expect(await save(policyKeys.dynamicRegistration, false)).toBe(200);
    await settingsReread(d);
    const refused = await register({ redirect_uris: ['https://claude.ai/api/mcp/auth_callback'] });
    expect(refused.status).toBe(403);
    const metadata = (await (await fetch(`${d.base}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    expect(metadata.registration_endpoint).toBeUndefined();
  });

  it('token lifetime applies to the next token; an invalid value is logged and the last good one stays', async () => {
    expect(await save(policyKeys.accessTokenMinutes, 5)).toBe(200);
    await settingsReread(d);
    expect((await exchange(await obtainCode())).body.expires_in).toBe(300);
    expect(await save(policyKeys.accessTokenMinutes, 'ten')).toBe(200);
    await settingsReread(d);
    expect((await exchange(await obtainCode())).body.expires_in).toBe(300);
    await d.app.waitForOutput('admin settings hold invalid values');
    expect(d.app.output()).toContain('access_token_minutes');
  });
});

describe('the policy applied to tools', () => {
  const everything = SCOPES.join(' ');
  const writeTools = allTools
    .filter((tool) => ('anyOf' in tool.scopes ? tool.scopes.anyOf : tool.scopes.allOf).some((scope) => scope.endsWith('.write')))
    .map((tool) => tool.name);

  it('a scope the admin turns off takes its tools out of tools/list, and calling them is refused', async () => {
    const client = await connected(await tokenFor('alice', everything));
    try {
      expect(await toolNames(client)).toEqual(
        expect.arrayContaining(['talk_list_conversations', 'talk_send_message', 'calendar_list_events']),
      );
      // "standup" is an event and a Talk message; both are found while Talk is on.
      expect(text(await client.callTool({ name: 'search', arguments: { query: 'standup' } }))).toContain('talk:');
      expect(
        await save(
          policyKeys.enabledScopes,
          JSON.stringify({
            'files.read': true,
            'files.write': true,
            'calendar.read': true,
            'calendar.write': true,
            'talk.read': false,
            'talk.write': false,
          }),
        ),
      ).toBe(200);
      await settingsReread(d);
      const names = await toolNames(client);
      expect(names.filter((name) => name.startsWith('talk_'))).toEqual([]);
      expect(names).toContain('calendar_list_events');
      // Not a step-up (the admin's ceiling cannot be consented past): the tool does not exist for this client.
      await expect(client.callTool({ name: 'talk_list_conversations', arguments: {} })).rejects.toThrow(/Unknown tool/);
      const found = await client.callTool({ name: 'search', arguments: { query: 'standup' } });
      expect(text(found)).not.toContain('talk:');
    } finally {
      await client.close();
    }
  });

  it('read-only mode takes every write tool away at once', async () => {
    expect(writeTools.length).toBeGreaterThanOrEqual(25);
    const client = await connected(await tokenFor('alice', everything));
    try {
      expect(await toolNames(client)).toEqual(expect.arrayContaining(writeTools));
      expect(await save(policyKeys.readOnly, true)).toBe(200);
      await settingsReread(d);
      const names = await toolNames(client);
      expect(names.filter((name) => writeTools.includes(name))).toEqual([]);
      expect(names).toEqual(expect.arrayContaining(['files_list', 'calendar_list_events', 'talk_read_messages']));
      for (const name of writeTools) await expect(client.callTool({ name, arguments: {} }), name).rejects.toThrow(/Unknown tool/);
    } finally {
      await client.close();
    }
  });

  it('the folder allowlist confines listing, reading, search and fetch, whatever the spelling', async () => {
    const client = await connected(await tokenFor('alice', 'files.read files.write'));
    try {
      expect(await save(policyKeys.folderAllowlist, '/Documents')).toBe(200);
      await settingsReread(d);
      const root = (await client.callTool({ name: 'files_list', arguments: { path: '/' } })).structuredContent as {
        entries: Array<{ path: string }>;
      };
      expect(root.entries.map((entry) => entry.path)).toEqual(['/Documents']);
      expect(text(await client.callTool({ name: 'files_read', arguments: { path: '/Documents/Notes.txt' } }))).toContain('Mad Hatter');
      for (const spelling of [
        '/Plans/Roadmap.md',
        '/Documents/../Plans/Roadmap.md',
        '/Documents/%2e%2e/Plans/Roadmap.md',
        '//Plans//Roadmap.md',
        '/Documents./../Plans/Roadmap.md',
        '/plans/Roadmap.md',
        '/Plans/Roadmap.md'.normalize('NFD'),
      ]) {
        const refused = await client.callTool({ name: 'files_read', arguments: { path: spelling } });
        expect(refused.isError, spelling).toBe(true);
        expect(text(refused)).not.toContain('Q4: launch');
      }
      const write = await client.callTool({ name: 'files_write_text', arguments: { path: '/Plans/Escape.md', content: 'x' } });
      expect(write.isError).toBe(true);
      expect(text(write)).toContain('/Documents');

      const found = await client.callTool({ name: 'files_search', arguments: { nameContains: 'o' } });
      const paths = (
        (found.structuredContent as { results?: Array<{ path: string }>; entries?: Array<{ path: string }> }).results ??
        (found.structuredContent as { entries: Array<{ path: string }> }).entries
      ).map((entry) => entry.path);
      expect(paths.length).toBeGreaterThan(0);
      expect(paths.every((found) => found.startsWith('/Documents/'))).toBe(true);

      const chat = JSON.parse(text(await client.callTool({ name: 'search', arguments: { query: 'Roadmap' } }))) as {
        results: Array<{ id: string; title: string }>;
      };
      expect(chat.results.filter((result) => result.title.includes('Roadmap'))).toEqual([]);
      const notes = JSON.parse(text(await client.callTool({ name: 'search', arguments: { query: 'Notes' } }))) as {
        results: Array<{ id: string; title: string }>;
      };
      const inside = notes.results.find((result) => result.title.includes('Notes.txt'))!;
      expect(inside).toBeDefined();
      const fetched = await client.callTool({ name: 'fetch', arguments: { id: inside.id } });
      expect(text(fetched)).toContain('Mad Hatter');
      // The same kind of id for a file outside the allowlist is refused by fetch.
      const outsideId = inside.id.replace(/Documents\/Notes\.txt/, 'Plans/Roadmap.md');
      expect(outsideId).not.toBe(inside.id);
      const outside = await client.callTool({ name: 'fetch', arguments: { id: outsideId } });
      expect(outside.isError).toBe(true);
      expect(text(outside)).not.toContain('Q4: launch');
    } finally {
      await client.close();
    }
  });
});

describe.skipIf(!chromiumAvailable() && !process.env.CI)('the admin connections page', () => {
  it('lists every active connection to admins only, and revokes one at once', async () => {
    const token = await tokenFor('bob', 'files.read calendar.read');
    expect((await fetch(d.url('admin/connections'), { headers: { cookie: d.sim.sessionCookie('bob') } })).status).toBe(404);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await openAfterLogin(page, d.sim.url, d.url('admin/connections'), 'admin');
      const row = page.locator('tr.connection[data-user="bob"]');
      expect(await row.count()).toBe(1);
      expect(await row.innerText()).toContain('files.read, calendar.read');
      const artifacts = path.join(process.cwd(), 'test-artifacts');
      fs.mkdirSync(artifacts, { recursive: true });
      await page.screenshot({ path: path.join(artifacts, 'admin-connections.png'), fullPage: true });
      await Promise.all([page.waitForURL('**/admin/connections/revoke'), row.locator('button.revoke').click()]);
      expect(await page.locator('#notice').innerText()).toContain('bob can no longer use');
      expect(await page.locator('tr.connection[data-user="bob"]').count()).toBe(0);
    } finally {
      await browser.close();
    }
    expect((await mcp(token)).status).toBe(401);
  });
});
