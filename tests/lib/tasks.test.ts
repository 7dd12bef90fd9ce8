// The tasks client against the simulator: which calendars are task lists, the filters (and what the server's
// "open" filter lets through), the object it writes, the Tasks app's transitions, changes that keep what they do
// not touch, etag races, and answers that are not what CalDAV promises.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Nextcloud, NextcloudOptions } from '../../lib/index.js';
import { createNextcloud } from '../../lib/index.js';
import { parseCalendar } from '../../lib/ical.js';
import type { TaskList, TasksClient } from '../../lib/tasks.js';
import type { Simulator } from '../nextcloud-sim/index.js';
import { failure, startLibFixture } from '../support/lib-fixture.js';

const DAY = 86_400_000;
const seedDay = (offset: number) => new Date(Math.floor(Date.now() / DAY) * DAY + offset * DAY);

let sim: Simulator;
let secret: string;
let nextcloud: Nextcloud;
const client = (options: Partial<NextcloudOptions> = {}) =>
  createNextcloud({ baseUrl: sim.url, appId: 'mcp_gateway', appVersion: '0.1.0', appSecret: secret, timeoutMs: 10_000, ...options });

beforeAll(async () => {
  ({ sim, secret, nextcloud } = await startLibFixture());
});
afterAll(() => sim?.stop());

const alice = (): TasksClient => nextcloud.as('alice').tasks;
const list = async (tasks: TasksClient, id: string): Promise<TaskList> => {
  const found = (await tasks.lists()).find((candidate) => candidate.id === id);
  if (!found) throw new Error(`no list ${id}`);
  return found;
};
const names = (listing: { tasks: Array<{ name: string }> }) => listing.tasks.map((task) => task.name).sort();
const property = (ics: string, name: string) => parseCalendar(ics).getFirstSubcomponent('vtodo')!.getFirstPropertyValue(name);

describe('task lists', () => {
  it("are the calendars holding VTODO: alice's own, Deck's read-only, bob's read-only share", async () => {
    const lists = await alice().lists();
    expect(lists.map((candidate) => candidate.id).sort()).toEqual(['app-generated--deck--board-1', 'chores', 'tasks']);
    expect(lists.find((candidate) => candidate.id === 'tasks')).toMatchObject({ displayName: 'Tasks', writable: true, deck: false });
    expect(lists.find((candidate) => candidate.id.startsWith('app-generated'))).toMatchObject({
      writable: false,
      readOnly: true,
      deck: true,
    });
    const bob = await nextcloud.as('bob').tasks.lists();
    expect(bob.map((candidate) => [candidate.id, candidate.writable, candidate.ownerPrincipal])).toEqual([
      ['chores_shared_by_alice', false, 'principals/users/alice'],
    ]);
  });
});

describe('listing', () => {
  it('leaves out done and cancelled tasks by default, STATUS:COMPLETED without COMPLETED included', async () => {
    const tasks = await list(alice(), 'tasks');
    const open = await alice().tasks(tasks);
    expect(names(open)).toEqual(['albums.ics', 'invitations.ics', 'letters.ics', 'party.ics', 'passport.ics', 'present.ics']);
    expect(open.unreadable).toEqual([]);
    expect(names(await alice().tasks(tasks, { status: 'completed' }))).toEqual(['plants.ics', 'taxes.ics']);
    expect(names(await alice().tasks(tasks, { status: 'all' }))).toHaveLength(9);
  });

  it('filters by due date, priority group, text and parent', async () => {
    const tasks = await list(alice(), 'tasks');
    expect(names(await alice().tasks(tasks, { dueBefore: seedDay(5) }))).toEqual(['invitations.ics', 'present.ics']);
    expect(names(await alice().tasks(tasks, { dueAfter: seedDay(5) }))).toEqual(['party.ics', 'passport.ics']);
    expect(names(await alice().tasks(tasks, { status: 'all', dueBefore: seedDay(0) }))).toEqual(['taxes.ics']);
    expect(names(await alice().tasks(tasks, { priority: 'high' }))).toEqual(['present.ics']);
    expect(names(await alice().tasks(tasks, { priority: 'medium' }))).toEqual(['passport.ics']);
    expect(names(await alice().tasks(tasks, { priority: 'low' }))).toEqual(['albums.ics']);
    expect(names(await alice().tasks(tasks, { text: 'HATS' }))).toEqual(['present.ics']);
    expect(names(await alice().tasks(tasks, { text: 'gifts' }))).toEqual(['present.ics']);
    expect(names(await alice().tasks(tasks, { parentUid: 'sim-task-party' }))).toEqual(['invitations.ics']);
  });

  it('reads every field, categories over two properties and dates as dates', async () => {
    const tasks = await list(alice(), 'tasks');
    const present = await alice().getTask(tasks, 'present.ics');
    expect(present).toMatchObject({
      uid: 'sim-task-present',
      summary: 'Buy birthday present',
      priority: 1,
      done: false,
      categories: ['Errands', 'Family', 'Gifts'],
      due: { value: seedDay(2).toISOString().slice(0, 10), allDay: true },
    });
    expect(present.etag).toMatch(/^".+"$/);
    const taxes = await alice().getTask(tasks, 'taxes.ics');
    expect(taxes).toMatchObject({ done: true, status: 'COMPLETED', percentComplete: 100, completedAt: expect.stringMatching(/Z$/) });
    expect((await alice().getTask(tasks, 'invitations.ics')).parentUid).toBe('sim-task-party');
    expect((await alice().getTask(tasks, 'letters.ics')).classification).toBe('PRIVATE');
    expect(await failure(alice().getTask(tasks, 'missing.ics'))).toMatchObject({ code: 'not_found' });
  });
});

describe('writing', () => {
  it('creates a whole VCALENDAR with If-None-Match and stamps', async () => {
    const tasks = await list(alice(), 'tasks');
    const puts: Array<Record<string, string>> = [];
    const watching = client({
      fetch: (async (input: string | URL | Request, init?: RequestInit) => {
        if (init?.method === 'PUT') puts.push(init.headers as Record<string, string>);
        return fetch(input, init);
      }) as typeof fetch,
    }).as('alice').tasks;
    const { task, reopenedParent } = await watching.createTask(tasks, {
      summary: 'Write thank-you cards',
      due: { date: '2030-01-15' },
      start: { at: new Date('2030-01-10T08:00:00Z') },
      priority: 6,
      categories: ['Family', 'Post'],
    });
    expect(reopenedParent).toBeNull();
    expect(puts[0]?.['If-None-Match']).toBe('*');
    expect(task.name).toMatch(/^[0-9a-f-]{36}\.ics$/);
    const stored = await alice().getTask(tasks, task.name);
    expect(stored).toMatchObject({ summary: 'Write thank-you cards', priority: 6, status: 'NEEDS-ACTION', categories: ['Family', 'Post'] });
    expect(stored.due).toMatchObject({ value: '2030-01-15', allDay: true });
    expect(stored.start).toMatchObject({ value: '2030-01-10T08:00:00Z', allDay: false });
    expect(stored.ics).toMatch(/^PRODID:/m);
    for (const name of ['uid', 'dtstamp', 'created', 'last-modified']) expect(property(stored.ics, name)).toBeTruthy();
    expect(stored.etag).toBe(task.etag);
  });

  it('completes and reopens as the Tasks app does, keeping every property it does not change', async () => {
    const tasks = await list(alice(), 'tasks');
    const before = await alice().getTask(tasks, 'present.ics');
    const done = await alice().updateTask(tasks, 'present.ics', before.etag!, { completed: true });
    expect(done).toMatchObject({ done: true, status: 'COMPLETED', percentComplete: 100 });
    expect(done.completedAt).toBeTruthy();
    expect(done.etag).not.toBe(before.etag);
    // Another client's properties, parameters and the split CATEGORIES survive.
    expect(done.ics).toContain('X-SIM-CUSTOM;X-KEEP=yes:keep me');
    expect(done.ics).toContain('X-APPLE-SORT-ORDER:12');
    expect(done.ics).toContain('CATEGORIES:Errands\r\n');
    expect(done.ics).toContain('CATEGORIES:Family,Gifts\r\n');
    expect(property(done.ics, 'last-modified')!.toString()).not.toBe(property(before.ics, 'last-modified')!.toString());
    const reopened = await alice().updateTask(tasks, 'present.ics', done.etag!, { completed: false });
    expect(reopened).toMatchObject({ done: false, status: 'IN-PROCESS', percentComplete: 99, completedAt: null });
    expect(reopened.ics).toContain('X-SIM-CUSTOM;X-KEEP=yes:keep me');
    // Back to how it was for the other tests.
    await alice().updateTask(tasks, 'present.ics', reopened.etag!, { completed: false });
  });

  it('reopens a task done by STATUS alone', async () => {
    const tasks = await list(alice(), 'tasks');
    const plants = await alice().getTask(tasks, 'plants.ics');
    const reopened = await alice().updateTask(tasks, 'plants.ics', plants.etag!, { completed: false, priority: 3 });
    expect(reopened).toMatchObject({ done: false, status: 'NEEDS-ACTION', priority: 3 });
    const back = await alice().updateTask(tasks, 'plants.ics', reopened.etag!, { completed: true, priority: null });
    expect(back).toMatchObject({ done: true, priority: null });
  });

  it('reopens a completed parent that gets an open subtask', async () => {
    const tasks = await list(alice(), 'tasks');
    const parent = await alice().createTask(tasks, { summary: 'Paint the fence', completed: true });
    expect(parent.task.done).toBe(true);
    const { task, reopenedParent } = await alice().createTask(tasks, { summary: 'Buy paint', parent: parent.task.name });
    expect(task.parentUid).toBe(parent.task.uid);
    expect(reopenedParent).toMatchObject({ name: parent.task.name, done: false });
    expect((await alice().getTask(tasks, parent.task.name)).done).toBe(false);
  });

  it('refuses a stale etag, also when the task changes between reading and writing', async () => {
    const tasks = await list(alice(), 'tasks');
    const { task } = await alice().createTask(tasks, { summary: 'Race me' });
    const changed = await alice().updateTask(tasks, task.name, task.etag!, { summary: 'Raced' });
    expect(await failure(alice().updateTask(tasks, task.name, task.etag!, { summary: 'Stale' }))).toMatchObject({
      code: 'precondition_failed',
    });
    // The first PUT waits while another change lands: the server's If-Match refuses it.
    let puts = 0;
    const hold = sim.holdRequests((method, path) => method === 'PUT' && path.endsWith(task.name) && ++puts === 1);
    const slow = failure(alice().updateTask(tasks, task.name, changed.etag!, { summary: 'Slow' }));
    await hold.reached();
    await alice().updateTask(tasks, task.name, changed.etag!, { summary: 'Fast' });
    hold.release();
    expect(await slow).toMatchObject({ code: 'precondition_failed', status: 412 });
    expect((await alice().getTask(tasks, task.name)).summary).toBe('Fast');
    await alice().deleteTask(tasks, task.name);
    expect(await failure(alice().getTask(tasks, task.name))).toMatchObject({ code: 'not_found' });
  });

  it("refuses bob's writes to alice's read-only list and any write to a Deck board", async () => {
    const bobTasks = nextcloud.as('bob').tasks;
    const chores = await list(bobTasks, 'chores_shared_by_alice');
    expect((await bobTasks.tasks(chores)).tasks.map((task) => task.summary)).toContain('Take out the bins');
    expect(await failure(bobTasks.createTask(chores, { summary: 'Nope' }))).toMatchObject({ code: 'forbidden' });
    const bins = await bobTasks.getTask(chores, 'bins.ics');
    expect(await failure(bobTasks.updateTask(chores, 'bins.ics', bins.etag!, { completed: true }))).toMatchObject({ code: 'forbidden' });
    expect(await failure(bobTasks.deleteTask(chores, 'bins.ics'))).toMatchObject({ code: 'forbidden' });
    const deck = await list(alice(), 'app-generated--deck--board-1');
    await expect(alice().createTask(deck, { summary: 'Card' })).rejects.toThrow(/Deck board/);
  });

  it('refuses invalid changes before sending anything', async () => {
    const tasks = await list(alice(), 'tasks');
    await expect(alice().createTask(tasks, { summary: '' })).rejects.toThrow(/invalid task: summary/);
    await expect(alice().updateTask(tasks, 'present.ics', '"x"', { priority: 12 })).rejects.toThrow(/invalid task changes: priority/);
    await expect(alice().createTask(tasks, { summary: 'x', due: { date: '4 May' } })).rejects.toThrow(/not a date/);
  });

  it('refuses object names that are not one path segment', async () => {
    const tasks = await list(alice(), 'tasks');
    for (const name of ['../personal/dentist.ics', '..', '', 'a/b.ics'])
      await expect(alice().getTask(tasks, name)).rejects.toThrow(/not the name/);
  });
});

describe('answers that are not what CalDAV promises', () => {
  const answering = (answer: (method: string, url: URL) => Response | undefined) =>
    client({
      fetch: (async (input: string | URL | Request, init?: RequestInit) => {
        const url = new URL(input instanceof Request ? input.url : String(input));
        return answer((init?.method ?? 'GET').toUpperCase(), url) ?? fetch(input, init);
      }) as typeof fetch,
    }).as('alice').tasks;
  const multistatus = (body: string) =>
    new Response(`<?xml version="1.0"?><d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">${body}</d:multistatus>`, {
      status: 207,
      headers: { 'content-type': 'application/xml; charset=utf-8' },
    });
  const entry = (name: string, data: string | null) =>
    `<d:response><d:href>/remote.php/dav/calendars/alice/tasks/${name}</d:href><d:propstat><d:prop><d:getetag>"e"</d:getetag>${
      data === null ? '' : `<c:calendar-data>${data}</c:calendar-data>`
    }</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>`;

  it('reports a login page instead of a multistatus as a protocol error', async () => {
    const tasks = answering((method) =>
      method === 'REPORT' ? new Response('<html>Log in</html>', { status: 200, headers: { 'content-type': 'text/html' } }) : undefined,
    );
    expect(await failure(tasks.tasks(await list(tasks, 'tasks')))).toMatchObject({ code: 'protocol' });
  });

  it('reports an entry without calendar data, and lists broken iCalendar as unreadable', async () => {
    const missing = answering((method) => (method === 'REPORT' ? multistatus(entry('a.ics', null)) : undefined));
    expect(await failure(missing.tasks(await list(missing, 'tasks')))).toMatchObject({ code: 'protocol' });
    const broken = answering((method) => (method === 'REPORT' ? multistatus(entry('broken.ics', 'not iCalendar')) : undefined));
    expect(await broken.tasks(await list(broken, 'tasks'))).toEqual({ tasks: [], unreadable: ['broken.ics'] });
  });

  it('reports a GET that holds no task, and a PUT answered 200 by something else', async () => {
    const page = answering((method, url) =>
      method === 'GET' && url.pathname.endsWith('.ics')
        ? new Response('<html></html>', { status: 200, headers: { 'content-type': 'text/html' } })
        : undefined,
    );
    expect(await failure(page.getTask(await list(page, 'tasks'), 'present.ics'))).toMatchObject({ code: 'protocol' });
    const proxy = answering((method) =>
      method === 'PUT' ? new Response('ok', { status: 200, headers: { 'content-type': 'text/plain' } }) : undefined,
    );
    expect(await failure(proxy.createTask(await list(proxy, 'tasks'), { summary: 'Lost' }))).toMatchObject({ code: 'protocol' });
  });
});
