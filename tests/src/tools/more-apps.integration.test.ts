// Contacts, Tasks, Notes and Deck through the real server behind the PHP proxy, with the SDK's own clients signed in
// through the browser: a grant with only the read scopes reads all four and steps up to each write scope on its own
// consent page; bob works in what alice shares with him only as far as the share allows; a user the Notes app is
// not enabled for, and a Nextcloud without Deck, never see those tools.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { chromiumAvailable, launchChromium } from '../../support/browser.js';
import type { Deployment } from '../../support/deployment.js';
import { deploy } from '../../support/deployment.js';
import type { McpConnection } from '../../support/mcp-oauth-client.js';
import { BrowserOAuthProvider, connectWithOAuth, isUnauthorizedError } from '../../support/mcp-oauth-client.js';

const WRITE_SCOPES = ['contacts.write', 'tasks.write', 'notes.write', 'deck.write'];
const OTHER_SCOPES = ['files.write', 'calendar.read', 'calendar.write', 'talk.read', 'talk.write'];

let d: Deployment;
let browser: Browser;
const providers: BrowserOAuthProvider[] = [];

type Json = Record<string, unknown>;
const text = (result: CallToolResult) => (result.content[0] as { text: string }).text;
const ok = (result: CallToolResult): Json => {
  expect(result.isError, text(result)).toBeFalsy();
  return result.structuredContent as Json;
};

async function signIn(user: string, untick: string[] = []) {
  const provider = await BrowserOAuthProvider.create(browser, { user, password: user, untick });
  providers.push(provider);
  return provider;
}

async function board(connection: McpConnection, title: string) {
  const { boards } = ok(await connection.callTool({ name: 'deck_list_boards', arguments: {} })) as { boards: Json[] };
  const found = boards.find((entry) => entry.title === title);
  expect(found, `board ${title} among ${JSON.stringify(boards)}`).toBeDefined();
  return ok(await connection.callTool({ name: 'deck_get_board', arguments: { boardId: found!.id } })) as {
    id: number;
    canEdit: boolean;
    lists: { id: number; title: string; cards: { id: number; title: string }[] }[];
  };
}

describe.skipIf(!chromiumAvailable() && !process.env.CI)('contacts, tasks, notes and Deck through an MCP client', () => {
  beforeAll(async () => {
    d = await deploy('php', { sim: { dav: true } });
    browser = await launchChromium();
  });
  afterAll(async () => {
    for (const provider of providers) await provider.close();
    await browser?.close();
    await d?.stop();
  });

  it('reads all four with the read scopes, and steps up to each write scope when a write needs it', async () => {
    const provider = await signIn('alice', [...WRITE_SCOPES, ...OTHER_SCOPES]);
    const connection = await connectWithOAuth(d.connector, provider, { sdk: 'v2', protocolVersion: '2026-07-28' });
    const names = (await connection.listTools()).map((tool) => tool.name);
    expect(names).toEqual(
      expect.arrayContaining(['contacts_search', 'contacts_get', 'tasks_list', 'tasks_get', 'notes_list', 'notes_get', 'deck_list_boards']),
    );
    for (const write of ['contacts_create', 'tasks_create', 'notes_create', 'deck_create_card', 'files_write_text'])
      expect(names).not.toContain(write);

    const found = ok(await connection.callTool({ name: 'contacts_search', arguments: { query: 'wonderland' } })) as { contacts: Json[] };
    expect(found.contacts.map((contact) => contact.fullName)).toEqual(expect.arrayContaining(['White Rabbit', 'Cheshire Cat']));
    const tasks = ok(await connection.callTool({ name: 'tasks_list', arguments: {} })) as { tasks: Json[] };
    expect(tasks.tasks.map((task) => task.title)).toContain('Buy birthday present');
    expect(tasks.tasks.map((task) => task.title)).not.toContain('File tax return');
    const notes = ok(await connection.callTool({ name: 'notes_list', arguments: {} })) as { notes: Json[] };
    expect(notes.notes.map((note) => note.title)).toEqual(expect.arrayContaining(['Standup agenda', 'Croquet rules']));
    const launch = await board(connection, 'Product launch');
    expect(launch.canEdit).toBe(true);

    const writes: { scope: string; name: string; arguments: Json; check: (result: Json) => void }[] = [
      {
        scope: 'contacts.write',
        name: 'contacts_create',
        arguments: { fullName: 'Dormouse', emails: [{ value: 'sleepy@teaparty.example' }] },
        check: (result) => expect(JSON.stringify(result)).toContain('Dormouse'),
      },
      {
        scope: 'tasks.write',
        name: 'tasks_create',
        arguments: { list: 'tasks', title: 'Paint the roses red', priority: 1 },
        check: (result) => expect(JSON.stringify(result)).toContain('Paint the roses red'),
      },
      {
        scope: 'notes.write',
        name: 'notes_create',
        arguments: { title: 'Tea party seating', content: '# Seating\n\nHatter next to the Hare.\n', category: 'Work' },
        check: (result) => expect(JSON.stringify(result)).toContain('Tea party seating'),
      },
      {
        scope: 'deck.write',
        name: 'deck_create_card',
        arguments: { boardId: launch.id, listId: launch.lists[0]!.id, title: 'Invite the Duchess' },
        check: (result) => expect(JSON.stringify(result)).toContain('Invite the Duchess'),
      },
    ];
    for (const [index, write] of writes.entries()) {
      provider.setPerson({ user: 'alice', password: 'alice' });
      const refused = await connection.callTool({ name: write.name, arguments: write.arguments }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(isUnauthorizedError(refused), `${write.name} before the step-up`).toBe(true);
      expect(provider.consentShown).toBe(index + 2);
      expect(provider.authorizationUrls.at(-1)!.searchParams.get('scope')!.split(' ')).toContain(write.scope);
      await connection.finishAuth();
      write.check(ok(await connection.callTool({ name: write.name, arguments: write.arguments })));
    }
    const me = ok(await connection.callTool({ name: 'whoami', arguments: {} })) as { scopes: string[] };
    expect(me.scopes).toEqual(expect.arrayContaining(WRITE_SCOPES));
    expect(me.scopes).not.toContain('files.write');
    // What was written is there for the next reader.
    const again = ok(await connection.callTool({ name: 'notes_search', arguments: { query: 'Hare' } })) as { notes: Json[] };
    expect(again.notes.map((note) => note.title)).toEqual(['Tea party seating']);
    expect((await board(connection, 'Product launch')).lists[0]!.cards.map((card) => card.title)).toContain('Invite the Duchess');
    await connection.close();
  });

  it('lets bob read what alice shares with him, refuses his writes there, and shows him nothing else of hers', async () => {
    const connection = await connectWithOAuth(d.connector, await signIn('bob'), { sdk: 'v1' });
    const books = ok(await connection.callTool({ name: 'contacts_list_address_books', arguments: {} })) as { addressBooks: Json[] };
    const shared = books.addressBooks.find((book) => book.id === 'team_shared_by_alice');
    expect(shared).toMatchObject({ writable: false });
    const theirs = ok(await connection.callTool({ name: 'contacts_search', arguments: { query: 'a' } })) as { contacts: Json[] };
    expect(theirs.contacts.map((contact) => contact.fullName)).toContain('Caterpillar');
    expect(theirs.contacts.map((contact) => contact.fullName)).not.toContain('White Rabbit');
    const intoShared = await connection.callTool({
      name: 'contacts_create',
      arguments: { addressBook: 'team_shared_by_alice', fullName: 'Gryphon' },
    });
    expect(intoShared.isError).toBe(true);
    expect(text(intoShared)).toMatch(/read-only/);

    const chores = await connection.callTool({ name: 'tasks_create', arguments: { list: 'chores_shared_by_alice', title: 'Sweep' } });
    expect(chores.isError).toBe(true);
    expect(text(chores)).toMatch(/read-only/);

    const notes = ok(await connection.callTool({ name: 'notes_list', arguments: {} })) as { notes: Json[] };
    expect(notes.notes.map((note) => note.title)).toContain('Scaffolding checklist');
    expect(notes.notes.map((note) => note.title)).not.toContain('Standup agenda');

    const launch = await board(connection, 'Product launch');
    expect(launch.canEdit).toBe(false);
    const card = await connection.callTool({
      name: 'deck_create_card',
      arguments: { boardId: launch.id, listId: launch.lists[0]!.id, title: 'Bob was here' },
    });
    expect(card.isError).toBe(true);
    expect(text(card)).toMatch(/read-only/);
    expect((await board(connection, 'Product launch')).lists[0]!.cards.map((entry) => entry.title)).not.toContain('Bob was here');
    await connection.close();
  });

  it('offers no Notes tools to a user Notes is not enabled for, and no Deck tools where Deck is not installed', async () => {
    d.sim.state.nextcloudApps.set('notes', { groups: ['staff'] });
    d.sim.state.nextcloudApps.delete('deck');
    try {
      const connection = await connectWithOAuth(d.connector, await signIn('carol'), { sdk: 'v1' });
      const names = (await connection.listTools()).map((tool) => tool.name);
      expect(names).toEqual(expect.arrayContaining(['contacts_search', 'tasks_list', 'files_list']));
      expect(names.filter((name) => name.startsWith('notes_') || name.startsWith('deck_'))).toEqual([]);
      const refused = await connection.callTool({ name: 'notes_list', arguments: {} });
      expect(refused.isError).toBe(true);
      expect(text(refused)).toContain('the notes app is not installed in this Nextcloud or not enabled for this account');
      await connection.close();
    } finally {
      d.sim.state.nextcloudApps.set('notes', { groups: [] });
      d.sim.state.nextcloudApps.set('deck', { groups: [] });
    }
  });
});
