// The task tools as simulator users: lists, filters, details with parent and subtasks, writes with etags and the
// Tasks app's transitions, what a deletion plans to do, and the boundaries (bob's read-only share of alice's list,
// Deck boards, crafted ids, stale etags).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Nextcloud } from '../../../lib/index.js';
import { createHttpClient } from '../../../lib/http.js';
import { DEFAULT_POLICY } from '../../../src/policy/policy.js';
import { tasksTools } from '../../../src/tools/tasks/index.js';
import type { Tool, ToolContext } from '../../../src/tools/tool.js';
import type { Simulator } from '../../nextcloud-sim/index.js';
import { startLibFixture } from '../../support/lib-fixture.js';
import type { ToolHarness } from '../../support/tool-harness.js';
import { toolHarness } from '../../support/tool-harness.js';

let sim: Simulator;
let nextcloud: Nextcloud;
let tools: ToolHarness;
let secret: string;

beforeAll(async () => {
  ({ sim, nextcloud, secret } = await startLibFixture());
  tools = toolHarness(nextcloud, sim.url);
});

/** Sets a list's place among alice's lists, as the Tasks and Calendar apps do when the person drags it. */
async function setOrder(listId: string, order: number) {
  const http = createHttpClient({ baseUrl: sim.url, appId: 'mcp_gateway', appVersion: '0.1.0', appSecret: secret }, 'alice');
  const response = await http.request('PROPPATCH', `/remote.php/dav/calendars/alice/${listId}/`, {
    headers: { 'Content-Type': 'application/xml; charset=utf-8' },
    body: `<?xml version="1.0"?><d:propertyupdate xmlns:d="DAV:" xmlns:x1="http://apple.com/ns/ical/"><d:set><d:prop><x1:calendar-order>${order}</x1:calendar-order></d:prop></d:set></d:propertyupdate>`,
  });
  expect(response.status).toBe(207);
  await response.text();
}
afterAll(() => sim?.stop());

const tool = (name: string): Tool => {
  const found = tasksTools.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no tool ${name}`);
  return found;
};
const listLists = tool('tasks_list_lists');
const list = tool('tasks_list');
const get = tool('tasks_get');
const create = tool('tasks_create');
const update = tool('tasks_update');
const remove = tool('tasks_delete');

const DAY = 86_400_000;
const seedDay = (offset: number) => new Date(Math.floor(Date.now() / DAY) * DAY + offset * DAY).toISOString().slice(0, 10);

type TaskOut = Record<string, unknown> & { id: string; title?: string; etag?: string; done: boolean };
const tasksOf = (structured: Record<string, unknown> | undefined) => (structured?.tasks ?? []) as TaskOut[];

const contextFor = (userId: string): ToolContext => ({
  user: nextcloud.as(userId),
  userId,
  clientId: 'test-client',
  scopes: ['tasks.read', 'tasks.write'],
  policy: DEFAULT_POLICY,
  webRoot: sim.url,
  signal: new AbortController().signal,
  progress: async () => undefined,
  audit: () => undefined,
});

describe('the task tools', () => {
  it('read with tasks.read, write with tasks.write, and describe every argument', () => {
    expect(tasksTools.map((candidate) => candidate.name)).toEqual([
      'tasks_list_lists',
      'tasks_list',
      'tasks_get',
      'tasks_create',
      'tasks_update',
      'tasks_delete',
    ]);
    for (const candidate of tasksTools) {
      for (const [field, schema] of Object.entries(candidate.input.shape))
        expect(schema.description, `${candidate.name}.${field}`).toBeTruthy();
      const reads = ['tasks_list_lists', 'tasks_list', 'tasks_get'].includes(candidate.name);
      expect(candidate.scopes).toEqual({ allOf: [reads ? 'tasks.read' : 'tasks.write'] });
      expect(candidate.annotations.readOnlyHint).toBe(reads);
      expect(candidate.app).toBeUndefined();
      // Some MCP hosts reject null types in output schemas; absent values are left out instead.
      expect(JSON.stringify(z.toJSONSchema(candidate.output, { target: 'draft-7', io: 'output' })), candidate.name).not.toContain('"null"');
    }
    expect(remove.plan).toBeTypeOf('function');
    expect(remove.annotations.destructiveHint).toBe(true);
  });
});

describe('tasks_list_lists', () => {
  it("lists alice's lists and bob's read-only share of her chores", async () => {
    const alice = await tools.call(listLists, {});
    expect(alice.isError).toBe(false);
    const lists = alice.structured!.lists as Array<Record<string, unknown>>;
    // A Deck board's calendar is Deck's: its cards are read with deck.read, never through a task list.
    expect(lists.map((entry) => entry.id)).toEqual(['tasks', 'chores']);
    expect(lists[0]).toEqual({ id: 'tasks', name: 'Tasks', readOnly: false, deck: false, color: '#31cc7c' });
    const bob = await tools.call(listLists, {}, { user: 'bob' });
    expect(bob.structured!.lists).toEqual([
      {
        id: 'chores_shared_by_alice',
        name: 'Household chores (Alice Liddell)',
        readOnly: true,
        owner: 'alice',
        deck: false,
        color: '#f4a331',
      },
    ]);
  });
});

describe('tasks_list', () => {
  it('lists open tasks of every list by due date, without done or cancelled ones', async () => {
    const { structured, isError, audited } = await tools.call(list, {});
    expect(isError).toBe(false);
    const titles = tasksOf(structured).map((task) => task.title);
    expect(titles.slice(0, 4)).toEqual(['Take out the bins', 'Buy birthday present', 'Send invitations', 'Renew passport']);
    expect(titles).toEqual(expect.arrayContaining(['Plan garden party', 'Sort photo albums']));
    expect(titles).not.toContain('Plant tulips');
    expect(titles).not.toContain('File tax return');
    expect(titles).not.toContain('Water the plants');
    expect(titles).not.toContain('Knit a tea cosy');
    expect(structured!.truncated).toBe(false);
    expect(audited).toEqual(['/remote.php/dav/calendars/alice/tasks/', '/remote.php/dav/calendars/alice/chores/']);
    const present = tasksOf(structured).find((task) => task.title === 'Buy birthday present')!;
    expect(present).toMatchObject({
      id: 'tasks/present.ics',
      listId: 'tasks',
      listName: 'Tasks',
      priority: 1,
      due: seedDay(2),
      categories: ['Errands', 'Family', 'Gifts'],
      description: 'Something with hats.',
    });
    expect(present.etag).toMatch(/^".+"$/);
    expect(tasksOf(structured).find((task) => task.title === 'Send invitations')).toMatchObject({ parentUid: 'sim-task-party' });
  });

  it('filters by list (id or name), status, due date, priority and text, and stops at limit', async () => {
    const completed = await tools.call(list, { list: 'Tasks', status: 'completed' });
    expect(
      tasksOf(completed.structured)
        .map((task) => task.title)
        .sort(),
    ).toEqual(['File tax return', 'Water the plants']);
    const due = await tools.call(list, { list: 'tasks', dueBefore: seedDay(5), dueAfter: seedDay(0) });
    expect(tasksOf(due.structured).map((task) => task.id)).toEqual(['tasks/present.ics', 'tasks/invitations.ics']);
    const high = await tools.call(list, { priority: 'high' });
    expect(tasksOf(high.structured).map((task) => task.id)).toEqual(['tasks/present.ics']);
    const text = await tools.call(list, { text: 'passport' });
    expect(tasksOf(text.structured).map((task) => task.id)).toEqual(['tasks/passport.ics']);
    const limited = await tools.call(list, { list: 'tasks', limit: 2 });
    expect(tasksOf(limited.structured)).toHaveLength(2);
    expect(limited.structured!.truncated).toBe(true);
    const unknown = await tools.call(list, { list: 'personal' });
    expect(unknown.isError).toBe(true);
    expect(unknown.text).toMatch(/no task list "personal"/);
    const badDate = await tools.call(list, { dueBefore: 'next week' });
    expect(badDate.isError).toBe(true);
  });
});

describe('tasks_get', () => {
  it('gives the parent id of a subtask and the subtask ids of a parent', async () => {
    const child = await tools.call(get, { id: 'tasks/invitations.ics' });
    expect(child.structured).toMatchObject({ id: 'tasks/invitations.ics', parentId: 'tasks/party.ics', readOnly: false, subtaskIds: [] });
    const parent = await tools.call(get, { id: 'tasks/party.ics' });
    expect(parent.structured).toMatchObject({ subtaskIds: ['tasks/invitations.ics'], start: seedDay(1), due: seedDay(14) });
    expect(parent.structured).not.toHaveProperty('parentId');
    expect(parent.audited).toEqual(['/remote.php/dav/calendars/alice/tasks/party.ics']);
  });

  it('refuses ids outside the task lists of the user', async () => {
    for (const id of ['../personal/dentist.ics', 'tasks/../personal/dentist.ics', 'tasks/a\\b.ics', 'https://evil.example/x.ics']) {
      const answer = await tools.call(get, { id });
      expect(answer.isError, id).toBe(true);
    }
    expect((await tools.call(get, { id: 'personal/dentist.ics' })).text).toMatch(/no task list "personal"/);
    expect((await tools.call(get, { id: 'tasks/missing.ics' })).text).toMatch(/does not exist/);
    expect((await tools.call(get, { id: 'tasks/present.ics' }, { user: 'carol' })).text).toMatch(/no task list "tasks"/);
  });
});

describe('writing tasks', () => {
  it('creates a task without a list in the first writable list by the order the person gave their lists', async () => {
    try {
      await setOrder('chores', -1);
      const created = await tools.call(create, { title: 'Defrost the freezer' });
      expect(created.structured).toMatchObject({ listId: 'chores', title: 'Defrost the freezer' });
      await tools.call(remove, { id: (created.structured as TaskOut).id });
    } finally {
      await setOrder('chores', 0);
    }
  });

  it('creates a task in the first writable list, then completes and reopens it as the Tasks app does', async () => {
    const created = await tools.call(create, {
      title: 'Book a table',
      description: 'For four.',
      due: '2030-03-01T18:00',
      timeZone: 'Europe/Berlin',
      priority: 5,
      categories: ['Dinner'],
    });
    expect(created.isError).toBe(false);
    const task = created.structured as TaskOut;
    expect(task).toMatchObject({
      listId: 'tasks',
      title: 'Book a table',
      due: '2030-03-01T17:00:00Z',
      priority: 5,
      done: false,
      reopenedParent: false,
    });
    expect(task.id).toMatch(/^tasks\/[0-9a-f-]{36}\.ics$/);

    const done = await tools.call(update, { id: task.id, etag: task.etag, completed: true });
    expect(done.structured).toMatchObject({
      done: true,
      status: 'COMPLETED',
      percentComplete: 100,
      title: 'Book a table',
      categories: ['Dinner'],
    });
    expect(done.structured!.completedAt).toBeTruthy();
    const reopened = await tools.call(update, { id: task.id, etag: (done.structured as TaskOut).etag, completed: false, due: null });
    expect(reopened.structured).toMatchObject({ done: false, status: 'IN-PROCESS', percentComplete: 99, description: 'For four.' });
    expect(reopened.structured).not.toHaveProperty('due');
    expect(reopened.structured).not.toHaveProperty('completedAt');

    const stale = await tools.call(update, { id: task.id, etag: task.etag, title: 'Too late' });
    expect(stale.isError).toBe(true);
    expect(stale.text).toMatch(/changed since you read it.*tasks_get/);
    const nothing = await tools.call(update, { id: task.id, etag: task.etag });
    expect(nothing.text).toMatch(/nothing to change/);
    const noOffset = await tools.call(create, { title: 'When?', due: '2030-03-01T18:00' });
    expect(noOffset.text).toMatch(/no UTC offset/);
  });

  it('adds a subtask in the parent’s list and reopens a completed parent', async () => {
    const parent = (await tools.call(create, { title: 'Clean the attic' })).structured as TaskOut;
    await tools.call(update, { id: parent.id, etag: parent.etag, completed: true });
    const child = await tools.call(create, { title: 'Find the ladder', parentId: parent.id });
    expect(child.structured).toMatchObject({ parentId: parent.id, listId: 'tasks', reopenedParent: true });
    expect((await tools.call(get, { id: parent.id })).structured).toMatchObject({
      done: false,
      subtaskIds: [(child.structured as TaskOut).id],
    });
    const elsewhere = await tools.call(create, { title: 'Elsewhere', parentId: parent.id, list: 'chores' });
    expect(elsewhere.text).toMatch(/parent's list/);
  });

  it('plans a deletion with the task name and the trash bin, then deletes', async () => {
    const task = (await tools.call(create, { title: 'Throw away' })).structured as TaskOut;
    const plan = await remove.plan!({ id: task.id }, contextFor('alice'));
    expect(plan).toMatch(/"Throw away".*'Tasks'.*trash bin/);
    const partyPlan = await remove.plan!({ id: 'tasks/party.ics' }, contextFor('alice'));
    expect(partyPlan).toMatch(/1 subtask/);
    const stale = await tools.call(remove, { id: task.id, etag: '"old"' });
    expect(stale.text).toMatch(/changed since you read it/);
    const deleted = await tools.call(remove, { id: task.id, etag: task.etag });
    expect(deleted.structured).toMatchObject({ deleted: true, id: task.id, title: 'Throw away', listId: 'tasks' });
    expect((await tools.call(get, { id: task.id })).text).toMatch(/does not exist/);
  });

  it("neither reads nor writes a Deck board's calendar: its cards are Deck's, for deck.read and the Deck tools", async () => {
    const answer = await tools.call(create, { title: 'Card', list: 'app-generated--deck--board-1' });
    expect(answer.text).toMatch(/has no task list "app-generated--deck--board-1"/);
    const card = await tools.call(update, { id: 'app-generated--deck--board-1/card-1.ics', etag: '"x"', completed: true });
    expect(card.isError).toBe(true);
    const read = await tools.call(get, { id: 'app-generated--deck--board-1/card-1.ics' }, { scopes: ['tasks.read'] });
    expect(read.isError).toBe(true);
    expect(read.text).not.toContain('Plant tulips');
    const listed = await tools.call(list, { list: 'Deck: Garden' }, { scopes: ['tasks.read'] });
    expect(listed.isError).toBe(true);
  });
});

describe('bob and alice’s shared list', () => {
  it('lets bob read the list but not add, change or delete', async () => {
    const listed = await tools.call(list, {}, { user: 'bob' });
    expect(tasksOf(listed.structured).map((task) => task.id)).toContain('chores_shared_by_alice/bins.ics');
    const bins = await tools.call(get, { id: 'chores_shared_by_alice/bins.ics' }, { user: 'bob' });
    expect(bins.structured).toMatchObject({ title: 'Take out the bins', readOnly: true });
    const created = await tools.call(create, { title: 'Mine', list: 'chores_shared_by_alice' }, { user: 'bob' });
    expect(created.text).toMatch(/shared with bob read-only by alice/);
    const noList = await tools.call(create, { title: 'Mine' }, { user: 'bob' });
    expect(noList.text).toMatch(/no task list they may add tasks to/);
    const changed = await tools.call(
      update,
      { id: 'chores_shared_by_alice/bins.ics', etag: (bins.structured as TaskOut).etag, completed: true },
      { user: 'bob' },
    );
    expect(changed.text).toMatch(/read-only/);
    await expect(remove.plan!({ id: 'chores_shared_by_alice/bins.ics' }, contextFor('bob'))).rejects.toThrow(/read-only/);
    const deleted = await tools.call(remove, { id: 'chores_shared_by_alice/bins.ics' }, { user: 'bob' });
    expect(deleted.isError).toBe(true);
    expect((await tools.call(get, { id: 'chores/bins.ics' })).structured).toMatchObject({ title: 'Take out the bins', done: false });
  });
});

describe('private and confidential tasks of a shared list', () => {
  it("hide alice's private task from bob and give him her confidential one as “Busy” with its start only", async () => {
    const listed = await tools.call(list, { list: 'chores_shared_by_alice', status: 'all' }, { user: 'bob' });
    expect(listed.isError).toBe(false);
    const ids = tasksOf(listed.structured).map((task) => task.id);
    expect(ids).toContain('chores_shared_by_alice/bins.ics');
    expect(ids).not.toContain('chores_shared_by_alice/diary.ics');
    const forms = tasksOf(listed.structured).find((task) => task.id === 'chores_shared_by_alice/forms.ics')!;
    expect(forms).toMatchObject({ title: 'Busy', visibility: 'CONFIDENTIAL', start: seedDay(20), categories: [], done: false });
    for (const field of ['due', 'priority', 'description']) expect(forms).not.toHaveProperty(field);
    expect(JSON.stringify(listed.structured)).not.toMatch(/diary|insurance|Policy number/);
    expect(tasksOf((await tools.call(list, { text: 'insurance' }, { user: 'bob' })).structured)).toEqual([]);

    const details = await tools.call(get, { id: forms.id }, { user: 'bob' });
    expect(details.structured).toMatchObject({ title: 'Busy', readOnly: true, visibility: 'CONFIDENTIAL' });
    const hidden = await tools.call(get, { id: 'chores_shared_by_alice/diary.ics' }, { user: 'bob' });
    expect(hidden.isError).toBe(true);
    expect(hidden.text).toMatch(/does not exist/);
    expect(hidden.text).not.toContain('Hide the diary');
  });

  it('show both to alice, who owns the list, in full', async () => {
    const listed = tasksOf((await tools.call(list, { list: 'chores', status: 'all' })).structured);
    expect(listed.find((task) => task.id === 'chores/diary.ics')).toMatchObject({ title: 'Hide the diary', visibility: 'PRIVATE' });
    expect(listed.find((task) => task.id === 'chores/forms.ics')).toMatchObject({
      title: 'Fill in the insurance forms',
      visibility: 'CONFIDENTIAL',
      start: seedDay(20),
      due: seedDay(21),
      priority: 9,
      categories: ['Health'],
      description: 'Policy number 0815.',
    });
  });
});
