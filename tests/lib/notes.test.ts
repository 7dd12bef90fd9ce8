// NotesClient against the simulator's Notes API: settings, listing in chunks, reading, writing with the note's
// etag, deleting, and the ways the app can be unavailable or answer badly.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NoteConflictError } from '../../lib/notes.js';
import type { LibFixture } from '../support/lib-fixture.js';
import { failure, startLibFixture } from '../support/lib-fixture.js';

let fixture: LibFixture;
beforeAll(async () => {
  fixture = await startLibFixture();
});
afterAll(() => fixture.sim.stop());

const notesOf = (user: string) => fixture.nextcloud.as(user).notes;

describe('NotesClient', () => {
  it('reads the settings and lists the notes with categories', async () => {
    const notes = notesOf('alice');
    expect(await notes.settings()).toMatchObject({ notesPath: 'Notes', fileSuffix: '.md' });
    const page = await notes.list();
    expect(page.cursor).toBeNull();
    expect(page.notes.map((note) => `${note.category}|${note.title}`).sort()).toEqual([
      'Recipes|Scones',
      'Work/Ideas|Croquet rules',
      'Work|Standup agenda',
      '|Meeting ümlaut',
    ]);
    expect((await notes.list({ category: 'Work', content: false })).notes.map((note) => [note.title, note.content])).toEqual([
      ['Standup agenda', undefined],
    ]);
  });

  it('follows the chunk cursor until the last chunk', async () => {
    const notes = notesOf('alice');
    const seen: number[] = [];
    let page = await notes.list({ chunkSize: 2 });
    expect(page.pending).toBe(2);
    seen.push(...page.notes.map((note) => note.id));
    while (page.cursor) {
      page = await notes.list({ chunkSize: 2, cursor: page.cursor });
      seen.push(...page.notes.map((note) => note.id));
    }
    expect(seen).toHaveLength(4);
    expect(new Set(seen).size).toBe(4);
  });

  it('creates, reads, updates with the etag and deletes; a stale etag is a conflict carrying the current note', async () => {
    const notes = notesOf('bob');
    const created = await notes.create({ title: 'Mixer: "Dizzy"', category: 'Site', content: 'Spins.' });
    expect(created).toMatchObject({
      title: 'Mixer Dizzy',
      category: 'Site',
      content: 'Spins.',
      internalPath: '/Notes/Site/Mixer Dizzy.md',
    });
    expect(await notes.get(created.id)).toEqual(created);
    const changed = await notes.update(created.id, { content: 'Spins faster.' }, { etag: created.etag });
    expect(changed.content).toBe('Spins faster.');
    const conflict = await failure(notes.update(created.id, { content: 'Lost update' }, { etag: created.etag }));
    expect(conflict).toBeInstanceOf(NoteConflictError);
    expect(conflict.code).toBe('precondition_failed');
    expect((conflict as NoteConflictError).current).toMatchObject({ id: created.id, content: 'Spins faster.', etag: changed.etag });
    // The etag as a model may copy it back, quoted.
    expect((await notes.update(created.id, { favorite: true }, { etag: `"${changed.etag}"` })).favorite).toBe(true);
    await notes.delete(created.id);
    expect((await failure(notes.get(created.id))).code).toBe('not_found');
  });

  it("keeps users apart: bob cannot read alice's note", async () => {
    const [alices] = (await notesOf('alice').list({ category: 'Recipes' })).notes;
    const error = await failure(notesOf('bob').get(alices!.id));
    expect(error.code).toBe('not_found');
    expect(error.message).toContain("bob's notes folder");
  });

  it('refuses changes to a read-only shared note', async () => {
    const notes = notesOf('bob');
    // Bob's notes folder moved onto the folder alice shares read-only.
    const put = await fetch(`${fixture.sim.url}/index.php/apps/notes/api/v1/settings`, {
      method: 'PUT',
      headers: { ...appApiHeaders('bob'), 'content-type': 'application/json' },
      body: JSON.stringify({ notesPath: 'Shared' }),
    });
    expect(put.status).toBe(200);
    try {
      const roadmap = (await notes.list()).notes.find((note) => note.title === 'Roadmap')!;
      expect(roadmap.readonly).toBe(true);
      expect((await failure(notes.update(roadmap.id, { content: 'x' }))).code).toBe('forbidden');
    } finally {
      await fetch(`${fixture.sim.url}/index.php/apps/notes/api/v1/settings`, {
        method: 'PUT',
        headers: { ...appApiHeaders('bob'), 'content-type': 'application/json' },
        body: JSON.stringify({ notesPath: 'Notes' }),
      });
    }
  });

  it('says clearly when Notes is not installed, or not enabled for the user', async () => {
    const apps = fixture.sim.state.nextcloudApps;
    apps.set('notes', { groups: ['admin'] });
    const disabled = await failure(notesOf('alice').list());
    expect(disabled.code).toBe('forbidden');
    expect(disabled.message).toContain('not enabled for alice');
    apps.delete('notes');
    const absent = await failure(notesOf('alice').list());
    expect(absent.code).toBe('not_found');
    expect(absent.message).toContain('not installed');
    apps.set('notes', { groups: [] });
  });
});

describe('bad answers', () => {
  let server: http.Server;
  let url = '';
  let answer: { status: number; type: string; body: string } = { status: 200, type: 'application/json', body: '[]' };
  beforeAll(async () => {
    server = http.createServer((_request, response) => response.writeHead(answer.status, { 'content-type': answer.type }).end(answer.body));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('reports a login page, a malformed note and a wrong shape as protocol errors, never as empty', async () => {
    const notes = fixture.client({ baseUrl: url }).as('alice').notes;
    answer = { status: 200, type: 'text/html', body: '<html>login</html>' };
    expect((await failure(notes.list())).code).toBe('protocol');
    answer = { status: 200, type: 'application/json', body: '{"id": 1, "title": 5}' };
    expect((await failure(notes.get(1))).code).toBe('protocol');
    answer = { status: 200, type: 'application/json', body: '[{"id": 1, "title": "no other fields"}]' };
    expect((await failure(notes.list())).code).toBe('protocol');
    answer = { status: 200, type: 'application/json', body: '{"notes": []}' };
    expect((await failure(notes.list())).code).toBe('protocol');
    answer = { status: 500, type: 'application/json', body: '{"errorType":"Exception"}' };
    expect((await failure(notes.create({ title: 'x' }))).code).toBe('unavailable');
  });
});

function appApiHeaders(user: string): Record<string, string> {
  return {
    'EX-APP-ID': 'mcp_gateway',
    'EX-APP-VERSION': '0.1.0',
    'AUTHORIZATION-APP-API': Buffer.from(`${user}:${fixture.secret}`).toString('base64'),
    'AA-VERSION': '32.0.0',
    Accept: 'application/json',
  };
}
