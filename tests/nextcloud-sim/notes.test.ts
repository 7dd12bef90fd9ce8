// The simulator's Notes API (more-apps.md §3): notes are the user's files, reached through the DAV backend, so
// ids are file ids, deletes land in the trash bin and shares show up where the folder tree puts them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from './index.js';
import { startSimulator } from './index.js';
import { noteEtag } from './notes/store.js';

const API = '/index.php/apps/notes/api/v1';
const SECRET = 'notes-sim-secret-'.padEnd(64, 'x');
let sim: Simulator;
let dataDir = '';

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'notes-sim-'));
  sim = await startSimulator({ dataDir });
  sim.addExApp({ id: 'notes_client', version: '1.0.0', secret: SECRET });
});
afterAll(async () => {
  await sim.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

async function call(
  user: string,
  method: string,
  route: string,
  options: { json?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const response = await fetch(`${sim.url}${route}`, {
    method,
    headers: {
      'EX-APP-ID': 'notes_client',
      'EX-APP-VERSION': '1.0.0',
      'AUTHORIZATION-APP-API': Buffer.from(`${user}:${SECRET}`).toString('base64'),
      'AA-VERSION': '32.0.0',
      'OCS-APIRequest': 'true',
      Accept: 'application/json',
      ...(options.json === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...options.headers,
    },
    body: options.json === undefined ? undefined : JSON.stringify(options.json),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // HTML pages stay text.
  }
  return { status: response.status, headers: response.headers, body };
}

const titles = (notes: Array<{ title?: string }>) => notes.filter((note) => note.title !== undefined).map((note) => note.title);

describe('Notes API', () => {
  it('lists the notes below the notes folder with their categories, and the headers of a JSON answer', async () => {
    const { status, headers, body } = await call('alice', 'GET', `${API}/notes`);
    expect(status).toBe(200);
    expect(headers.get('x-notes-api-versions')).toBe('0.2, 1.3, 1.4');
    expect(headers.get('etag')).toMatch(/^"[0-9a-f]{32}"$/);
    expect(headers.get('last-modified')).toMatch(/^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000$/);
    expect(titles(body).sort()).toEqual(['Croquet rules', 'Meeting ümlaut', 'Scones', 'Standup agenda']);
    const rules = body.find((note: { title: string }) => note.title === 'Croquet rules');
    expect(rules).toMatchObject({
      category: 'Work/Ideas',
      favorite: false,
      readonly: false,
      internalPath: '/Notes/Work/Ideas/Croquet rules.md',
      shareTypes: [],
      isShared: false,
      error: false,
      errorType: '',
      content: '# Croquet rules\n\nFlamingos as mallets, hedgehogs as balls.\n',
    });
    const { etag, ...rest } = rules;
    expect(etag).toBe(noteEtag(rest));
    // The same id WebDAV shows for the file.
    const propfind = await fetch(`${sim.url}/remote.php/dav/files/alice/Notes/Work/Ideas/Croquet%20rules.md`, {
      method: 'PROPFIND',
      headers: {
        'EX-APP-ID': 'notes_client',
        'EX-APP-VERSION': '1.0.0',
        'AUTHORIZATION-APP-API': Buffer.from(`alice:${SECRET}`).toString('base64'),
        'AA-VERSION': '32.0.0',
        Depth: '0',
      },
      body: '<?xml version="1.0"?><d:propfind xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns"><d:prop><oc:fileid/></d:prop></d:propfind>',
    });
    expect(await propfind.text()).toContain(`<oc:fileid>${rules.id}</oc:fileid>`);
  });

  it('filters by exact category, drops excluded fields and answers 304 to the list etag', async () => {
    const work = await call('alice', 'GET', `${API}/notes?category=Work&exclude=content,favorite`);
    expect(titles(work.body)).toEqual(['Standup agenda']);
    expect(work.body[0].content).toBeUndefined();
    expect(work.body[0].favorite).toBeUndefined();
    expect(work.body[0].etag).toMatch(/^[0-9a-f]{32}$/);
    const again = await call('alice', 'GET', `${API}/notes?category=Work&exclude=content,favorite`, {
      headers: { 'If-None-Match': work.headers.get('etag')! },
    });
    expect(again.status).toBe(304);
  });

  it('pages in chunks with a cursor; only the last chunk names the other notes by id', async () => {
    const first = await call('alice', 'GET', `${API}/notes?chunkSize=3`);
    expect(first.body).toHaveLength(3);
    expect(first.headers.get('x-notes-chunk-pending')).toBe('1');
    const cursor = first.headers.get('x-notes-chunk-cursor')!;
    expect(cursor).toMatch(/^\d+-\d+-\d+$/);
    const last = await call('alice', 'GET', `${API}/notes?chunkSize=3&chunkCursor=${cursor}`);
    expect(last.headers.get('x-notes-chunk-cursor')).toBeNull();
    const full = last.body.filter((note: object) => 'title' in note);
    const idsOnly = last.body.filter((note: object) => !('title' in note));
    expect(full).toHaveLength(1);
    expect(idsOnly.map((note: { id: number }) => note.id).sort()).toEqual(first.body.map((note: { id: number }) => note.id).sort());
  });

  it('sends notes the app noticed no change of since pruneBefore as bare ids', async () => {
    const later = Math.floor(Date.now() / 1000) + 3600;
    const pruned = await call('alice', 'GET', `${API}/notes?pruneBefore=${later}`);
    expect(pruned.body.length).toBe(4);
    expect(pruned.body.every((note: object) => Object.keys(note).join() === 'id')).toBe(true);
    expect(titles((await call('alice', 'GET', `${API}/notes?pruneBefore=1`)).body)).toHaveLength(4);
  });

  it('sends one note with a quoted etag and 304 for it; 404 for a file that is no note', async () => {
    const list = (await call('alice', 'GET', `${API}/notes`)).body;
    const scones = list.find((note: { title: string }) => note.title === 'Scones');
    const one = await call('alice', 'GET', `${API}/notes/${scones.id}`);
    expect(one.body).toEqual(scones);
    expect(one.headers.get('etag')).toBe(`"${scones.etag}"`);
    expect((await call('alice', 'GET', `${API}/notes/${scones.id}`, { headers: { 'If-None-Match': `"${scones.etag}"` } })).status).toBe(
      304,
    );
    const readme = await call('alice', 'GET', `${API}/notes/1`);
    expect(readme).toMatchObject({ status: 404, body: { errorType: 'Exception' } });
    expect((await call('bob', 'GET', `${API}/notes/${scones.id}`)).status).toBe(404);
    expect(await call('alice', 'GET', `${API.replace('/v1', '')}/v9/whatever`)).toMatchObject({ status: 400, body: [] });
  });

  it('creates with a sanitised title, " (2)" on a clash, the default .md suffix and category folders', async () => {
    const created = await call('alice', 'POST', `${API}/notes`, {
      json: { title: '../Tea: "party"?', category: 'Events/2026', content: 'Hats.' },
    });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({
      title: 'Tea party',
      category: 'Events/2026',
      internalPath: '/Notes/Events/2026/Tea party.md',
      content: 'Hats.',
    });
    const clash = await call('alice', 'POST', `${API}/notes`, { json: { title: 'Tea party', category: 'Events/2026', favorite: true } });
    expect(clash.body).toMatchObject({ title: 'Tea party (2)', favorite: true, content: '' });
    const untitled = await call('alice', 'POST', `${API}/notes`, { json: {} });
    expect(untitled.body).toMatchObject({ title: 'New note', category: '', internalPath: '/Notes/New note.md' });
    for (const note of [created.body, clash.body, untitled.body])
      expect((await call('alice', 'DELETE', `${API}/notes/${note.id}`)).status).toBe(200);
  });

  it('updates only with the quoted current etag and answers 412 with the current note', async () => {
    const note = (await call('alice', 'POST', `${API}/notes`, { json: { title: 'Race', content: 'one' } })).body;
    const unquoted = await call('alice', 'PUT', `${API}/notes/${note.id}`, {
      json: { content: 'two' },
      headers: { 'If-Match': note.etag },
    });
    expect(unquoted.status).toBe(412);
    expect(unquoted.body).toEqual(note);
    const updated = await call('alice', 'PUT', `${API}/notes/${note.id}`, {
      json: { content: 'two', title: 'Race won', category: 'Sport' },
      headers: { 'If-Match': `"stale", "${note.etag}"` },
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ id: note.id, title: 'Race won', category: 'Sport', content: 'two' });
    expect(updated.body.etag).not.toBe(note.etag);
    const stale = await call('alice', 'PUT', `${API}/notes/${note.id}`, {
      json: { content: 'three' },
      headers: { 'If-Match': `"${note.etag}"` },
    });
    expect(stale).toMatchObject({ status: 412, body: { id: note.id, content: 'two', etag: updated.body.etag } });
    const lastWins = await call('alice', 'PUT', `${API}/notes/${note.id}`, { json: { content: 'four' } });
    expect(lastWins.body.content).toBe('four');
    await call('alice', 'DELETE', `${API}/notes/${note.id}`);
  });

  it('deletes to the trash bin with 200 [] and removes the emptied category folder', async () => {
    const note = (await call('bob', 'POST', `${API}/notes`, { json: { title: 'Bin me', category: 'Temp', content: 'x' } })).body;
    const deleted = await call('bob', 'DELETE', `${API}/notes/${note.id}`);
    expect(deleted).toMatchObject({ status: 200, body: [] });
    expect(deleted.headers.get('x-notes-api-versions')).toBe('0.2, 1.3, 1.4');
    const trash = fs.readdirSync(path.join(dataDir, 'dav', 'bob', 'trash'));
    expect(trash.some((name) => name.startsWith('Bin me.md.d'))).toBe(true);
    expect((await call('bob', 'GET', `${API}/notes/${note.id}`)).status).toBe(404);
    expect(fs.existsSync(path.join(dataDir, 'dav', 'bob', 'files', 'Notes', 'Temp'))).toBe(false);
  });

  it('keeps settings per user, sanitised, and lists notes from the new notes folder (shares included, read-only)', async () => {
    expect((await call('bob', 'GET', `${API}/settings`)).body).toEqual({ notesPath: 'Notes', fileSuffix: '.md', noteMode: 'edit' });
    const changed = await call('bob', 'PUT', `${API}/settings`, { json: { notesPath: '/Shared/../Shared/', fileSuffix: 'bad' } });
    expect(changed.body).toEqual({ notesPath: 'Shared', fileSuffix: '.md', noteMode: 'edit' });
    const shared = (await call('bob', 'GET', `${API}/notes`)).body;
    const roadmap = shared.find((note: { title: string }) => note.title === 'Roadmap');
    expect(roadmap).toMatchObject({ category: 'Plans', readonly: true, isShared: true, internalPath: '/Shared/Plans/Roadmap.md' });
    const refused = await call('bob', 'PUT', `${API}/notes/${roadmap.id}`, { json: { content: 'mine now' } });
    expect(refused).toMatchObject({ status: 403, body: { errorType: 'Exception' } });
    expect((await call('alice', 'GET', `${API}/settings`)).body.notesPath).toBe('Notes');
    await call('bob', 'PUT', `${API}/settings`, { json: { notesPath: 'Notes' } });
  });

  it('is 404 (not JSON) when the app is not installed and 412 when it is not enabled for the user', async () => {
    sim.state.nextcloudApps.set('notes', { groups: ['admin'] });
    expect(await call('alice', 'GET', `${API}/notes`)).toMatchObject({ status: 412, body: { message: 'App is not enabled' } });
    sim.state.nextcloudApps.delete('notes');
    const absent = await call('alice', 'GET', `${API}/notes`);
    expect(absent.status).toBe(404);
    expect(absent.headers.get('content-type')).toContain('text/html');
    sim.state.nextcloudApps.set('notes', { groups: [] });
  });
});
