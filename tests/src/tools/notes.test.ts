// The notes tools as simulator users: listing, searching, reading and writing notes, users kept apart, shares
// seen through the notes folder, the admin's folder allowlist (no escape through the Notes API), etag races and
// what the plans of destructive calls say.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Nextcloud } from '../../../lib/index.js';
import { SCOPES } from '../../../src/core/scopes.js';
import type { Policy } from '../../../src/policy/policy.js';
import { DEFAULT_POLICY } from '../../../src/policy/policy.js';
import { notesTools } from '../../../src/tools/notes/index.js';
import type { Tool, ToolContext } from '../../../src/tools/tool.js';
import type { Simulator } from '../../nextcloud-sim/index.js';
import { failure, startLibFixture } from '../../support/lib-fixture.js';
import type { ToolCall, ToolHarness } from '../../support/tool-harness.js';
import { toolHarness } from '../../support/tool-harness.js';

let sim: Simulator;
let nextcloud: Nextcloud;
let secret = '';
let tools: ToolHarness;

beforeAll(async () => {
  ({ sim, nextcloud, secret } = await startLibFixture());
  tools = toolHarness(nextcloud, sim.url);
});
afterAll(() => sim?.stop());

const tool = (name: string): Tool => {
  const found = notesTools.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no tool ${name}`);
  return found;
};
const list = tool('notes_list');
const search = tool('notes_search');
const get = tool('notes_get');
const create = tool('notes_create');
const update = tool('notes_update');
const remove = tool('notes_delete');

type NoteOut = { id: number; title: string; category: string; path: string; etag: string; content?: string; readonly: boolean };

function ok(call: ToolCall): Record<string, any> {
  if (call.isError) throw new Error(`tool failed: ${call.text}`);
  return call.structured!;
}

const titles = (call: ToolCall) => (ok(call).notes as NoteOut[]).map((note) => note.title).sort();

/** The id of one of the user's notes, by title, as the Notes API lists it. */
async function idOf(user: string, title: string): Promise<number> {
  const note = (await nextcloud.as(user).notes.list()).notes.find((candidate) => candidate.title === title);
  if (!note) throw new Error(`no note ${title} for ${user}`);
  return note.id;
}

/** A tool context for calling `plan` directly, as the MCP layer does before asking the person. */
function contextFor(user: string, policy: Partial<Policy> = {}): ToolContext {
  return {
    user: nextcloud.as(user),
    userId: user,
    clientId: 'test-client',
    scopes: [...SCOPES],
    policy: { ...DEFAULT_POLICY, ...policy },
    webRoot: sim.url,
    signal: new AbortController().signal,
    progress: async () => undefined,
    audit: () => undefined,
  };
}

async function setNotesPath(user: string, notesPath: string): Promise<void> {
  const response = await fetch(`${sim.url}/index.php/apps/notes/api/v1/settings`, {
    method: 'PUT',
    headers: {
      'EX-APP-ID': 'mcp_gateway',
      'EX-APP-VERSION': '0.1.0',
      'AUTHORIZATION-APP-API': Buffer.from(`${user}:${secret}`).toString('base64'),
      'AA-VERSION': '32.0.0',
      Accept: 'application/json',
      'Content-Type': 'application/json',
    },
    body: JSON.stringify({ notesPath }),
  });
  expect(response.status).toBe(200);
}

describe('notes tools', () => {
  it('declare the notes app and their scopes', () => {
    for (const each of notesTools) expect(each.app).toBe('notes');
    expect(list.scopes).toEqual({ allOf: ['notes.read'] });
    expect(remove.scopes).toEqual({ allOf: ['notes.write'] });
  });

  it("lists each user's own notes only, by category, in pages", async () => {
    expect(titles(await tools.call(list, {}))).toEqual(['Croquet rules', 'Meeting ümlaut', 'Scones', 'Standup agenda']);
    expect(titles(await tools.call(list, {}, { user: 'bob' }))).toEqual(['Scaffolding checklist', 'ideas']);
    const work = ok(await tools.call(list, { category: 'Work/Ideas' }));
    expect(work.notes).toEqual([
      expect.objectContaining({
        title: 'Croquet rules',
        category: 'Work/Ideas',
        path: '/Notes/Work/Ideas/Croquet rules.md',
        readonly: false,
      }),
    ]);
    expect(work.notes[0].content).toBeUndefined();
    expect(work.notes[0].url).toBe(`${sim.url}/index.php/apps/notes/note/${work.notes[0].id}`);
    const first = ok(await tools.call(list, { limit: 3 }));
    expect(first.notes).toHaveLength(3);
    expect(first.remaining).toBe(1);
    const rest = ok(await tools.call(list, { limit: 3, cursor: first.nextCursor }));
    expect(rest.notes).toHaveLength(1);
    expect(rest.nextCursor).toBeUndefined();
  });

  it('reads a note with content; another user cannot', async () => {
    const id = await idOf('alice', 'Scones');
    expect(ok(await tools.call(get, { id }))).toMatchObject({
      title: 'Scones',
      category: 'Recipes',
      content: 'Flour, butter, milk. Bake for twelve minutes.\n',
    });
    const asBob = await tools.call(get, { id }, { user: 'bob' });
    expect(asBob.isError).toBe(true);
    expect(asBob.text).toContain(`note ${id} does not exist in bob's notes`);
  });

  it('searches title, category and content for every word, with an excerpt', async () => {
    const croquet = ok(await tools.call(search, { query: 'croquet' }));
    expect(croquet.notes.map((note: NoteOut) => note.title).sort()).toEqual(['Croquet rules', 'Standup agenda']);
    const both = ok(await tools.call(search, { query: 'HEDGEHOGS flamingos' }));
    expect(both.notes).toHaveLength(1);
    expect(both.notes[0]).toMatchObject({ title: 'Croquet rules' });
    expect(both.notes[0].excerpt).toContain('Flamingos as mallets');
    expect(ok(await tools.call(search, { query: 'recipes' })).notes.map((note: NoteOut) => note.title)).toEqual(['Scones']);
    expect(ok(await tools.call(search, { query: 'croquet' }, { user: 'bob' })).notes).toEqual([]);
  });

  it('creates, changes and deletes a note; the plans say what is overwritten and that deletion goes to the trash bin', async () => {
    const created = ok(await tools.call(create, { title: 'Guest list', category: 'Events', content: 'March Hare\nDormouse' })) as NoteOut;
    expect(created).toMatchObject({ title: 'Guest list', category: 'Events', path: '/Notes/Events/Guest list.md' });
    const again = ok(await tools.call(create, { title: 'Guest list', category: 'Events' })) as NoteOut;
    expect(again.title).toBe('Guest list (2)');

    const plan = await update.plan!({ id: created.id, content: 'Only the Hatter' }, contextFor('alice'));
    expect(plan).toContain('Replaces the whole content of the note "Guest list"');
    expect(plan).toContain('19 characters in 2 lines');
    expect(await update.plan!({ id: created.id, favorite: true }, contextFor('alice'))).toBeNull();
    expect(await update.plan!({ id: again.id, content: 'first words' }, contextFor('alice'))).toBeNull();

    const changed = ok(
      await tools.call(update, { id: created.id, etag: created.etag, content: 'Only the Hatter', title: 'Guests' }),
    ) as NoteOut;
    expect(changed).toMatchObject({ title: 'Guests', content: 'Only the Hatter', path: '/Notes/Events/Guests.md' });

    const deletePlan = await remove.plan!({ id: changed.id }, contextFor('alice'));
    expect(deletePlan).toBe(
      'Deletes the note "Guests" in category "Events" (/Notes/Events/Guests.md). The file goes to the trash bin, from where it can be restored.',
    );
    expect(ok(await tools.call(remove, { id: changed.id }))).toMatchObject({ deleted: true, title: 'Guests' });
    expect((await failure(nextcloud.as('alice').notes.get(changed.id))).code).toBe('not_found');
    ok(await tools.call(remove, { id: again.id }));
  });

  it('refuses a stale etag, and a change made while the write was on its way', async () => {
    const notes = nextcloud.as('bob').notes;
    const note = await notes.create({ title: 'Race', content: 'start' });
    const fresh = await tools.call(update, { id: note.id, etag: note.etag, content: 'mine' }, { user: 'bob' });
    expect(fresh.isError).toBe(false);
    const second = await tools.call(update, { id: note.id, etag: note.etag, content: 'lost' }, { user: 'bob' });
    expect(second.isError).toBe(true);
    expect(second.text).toContain('changed since you read it; read it again with notes_get');

    // No etag given: the tool writes against the version it checked. Another write lands between its read and
    // its PUT, so the PUT must fail instead of overwriting it.
    let first = true;
    const hold = sim.holdRequests((method, path) => {
      const match = first && method === 'PUT' && path === `/index.php/apps/notes/api/v1/notes/${note.id}`;
      if (match) first = false;
      return match;
    });
    const racing = tools.call(update, { id: note.id, content: 'from the tool' }, { user: 'bob' });
    await hold.reached();
    await notes.update(note.id, { content: 'from elsewhere' });
    hold.release();
    const raced = await racing;
    expect(raced.isError).toBe(true);
    expect(raced.text).toContain('changed since you read it');
    expect((await notes.get(note.id)).content).toBe('from elsewhere');
    await notes.delete(note.id);
  });

  it('shows a folder shared with bob only through his notes folder, read-only as shared', async () => {
    expect(titles(await tools.call(list, {}, { user: 'bob' }))).not.toContain('Roadmap');
    await setNotesPath('bob', 'Shared');
    try {
      const shared = ok(await tools.call(list, {}, { user: 'bob' })).notes as NoteOut[];
      const roadmap = shared.find((note) => note.title === 'Roadmap')!;
      expect(roadmap).toMatchObject({ category: 'Plans', path: '/Shared/Plans/Roadmap.md', readonly: true });
      const refused = await tools.call(update, { id: roadmap.id, content: 'mine' }, { user: 'bob' });
      expect(refused.isError).toBe(true);
      expect(refused.text).toContain('read-only for bob');
      expect((await tools.call(remove, { id: roadmap.id }, { user: 'bob' })).isError).toBe(true);
      // Alice's folder allowlist entries are bob's paths too: /Shared/Plans is outside ['/Notes'].
      expect((await tools.call(list, {}, { user: 'bob', policy: { folderAllowlist: ['/Notes'] } })).structured!.notes).toEqual([]);
    } finally {
      await setNotesPath('bob', 'Notes');
    }
  });

  describe('with a folder allowlist', () => {
    const policy = { folderAllowlist: ['/Notes/Work'] };

    it('takes back a note that Notes stored outside them after all (the notes folder moved in between)', async () => {
      const hold = sim.holdRequests((method, path) => method === 'POST' && path === '/index.php/apps/notes/api/v1/notes');
      const creating = tools.call(create, { title: 'Slipped', category: 'Work', content: 'x' }, { user: 'bob', policy });
      await hold.reached();
      await setNotesPath('bob', 'Private');
      hold.release();
      try {
        const refused = await creating;
        expect(refused.isError).toBe(true);
        expect(refused.text).toContain('Refused: Notes stored the note at /Private/Work/Slipped.md');
        expect((await nextcloud.as('bob').notes.list()).notes.map((note) => note.title)).not.toContain('Slipped');
        expect((await nextcloud.as('bob').trash.list()).map((item) => item.originalLocation)).toContain('/Private/Work/Slipped.md');
      } finally {
        await setNotesPath('bob', 'Notes');
      }
    });

    it('lists and finds only notes inside the allowed folders', async () => {
      expect(titles(await tools.call(list, {}, { policy }))).toEqual(['Croquet rules', 'Standup agenda']);
      expect(ok(await tools.call(search, { query: 'flour' }, { policy })).notes).toEqual([]);
      expect(titles(await tools.call(list, {}, { policy: { folderAllowlist: ['/Documents'] } }))).toEqual([]);
    });

    it('does not have Notes create a notes folder outside them, as listing would', async () => {
      const carolsNotes = () =>
        nextcloud
          .as('carol')
          .files.stat('/Notes')
          .then(
            () => true,
            () => false,
          );
      expect(await carolsNotes()).toBe(false);
      const outside = { user: 'carol', policy: { folderAllowlist: ['/Documents'] } };
      expect(ok(await tools.call(list, {}, outside)).notes).toEqual([]);
      expect(ok(await tools.call(search, { query: 'tea' }, outside)).notes).toEqual([]);
      expect(await carolsNotes()).toBe(false);
      // Where the notes folder is allowed, Notes creates it on the first listing, as it does for its own app.
      expect(ok(await tools.call(list, {}, { user: 'carol' })).notes).toEqual([]);
      expect(await carolsNotes()).toBe(true);
    });

    it('neither reads, updates nor deletes a note outside them', async () => {
      const id = await idOf('alice', 'Scones');
      for (const [each, args] of [
        [get, { id }],
        [update, { id, content: 'escaped' }],
        [remove, { id }],
      ] as const) {
        const call = await tools.call(each, args, { policy });
        expect(call.isError).toBe(true);
        expect(call.text).toContain(`note ${id} does not exist in alice's notes`);
      }
      await expect(remove.plan!({ id }, contextFor('alice', policy))).rejects.toThrow(/does not exist/);
      expect((await nextcloud.as('alice').notes.get(id)).content).toBe('Flour, butter, milk. Bake for twelve minutes.\n');
    });

    it('refuses to create or move a note to a place outside them', async () => {
      const outside = await tools.call(create, { title: 'Escape', category: 'Recipes' }, { policy });
      expect(outside.isError).toBe(true);
      expect(outside.text).toContain('/Notes/Recipes/Escape.md, which is outside');
      const climbing = await tools.call(create, { title: 'Escape', category: 'Work/../../Documents' }, { policy });
      expect(climbing.isError).toBe(true);
      const standup = await idOf('alice', 'Standup agenda');
      const moved = await tools.call(update, { id: standup, category: 'Recipes' }, { policy });
      expect(moved.isError).toBe(true);
      expect(moved.text).toContain('outside the folders');
      expect((await nextcloud.as('alice').notes.get(standup)).category).toBe('Work');
      expect(titles(await tools.call(list, {}))).not.toContain('Escape');

      const inside = ok(await tools.call(create, { title: 'Allowed', category: 'Work' }, { policy })) as NoteOut;
      expect(inside.path).toBe('/Notes/Work/Allowed.md');
      ok(await tools.call(remove, { id: inside.id }, { policy }));
    });
  });
});
