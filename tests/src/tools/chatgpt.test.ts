// ChatGPT's search and fetch as simulator users: the exact content shape, scopes deciding which sources are
// searched and fetched, the folder allowlist, and ids that only resolve within the caller's own access.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Nextcloud } from '../../../lib/index.js';
import { createNextcloud } from '../../../lib/index.js';
import { listEvents } from '../../../src/tools/calendar/list-events.js';
import { MAX_BOARDS } from '../../../src/tools/chatgpt/app-sources.js';
import { chatgptTools, fetch, search } from '../../../src/tools/chatgpt/index.js';
import { forgetHiddenFiles } from '../../../src/tools/files/hidden.js';
import { toolAllowed } from '../../../src/tools/tool.js';
import { addCard, addStack, createBoard, deckStore } from '../../nextcloud-sim/deck/store.js';
import type { Simulator } from '../../nextcloud-sim/index.js';
import { startFaultProxy } from '../../support/fault-proxy.js';
import { startLibFixture } from '../../support/lib-fixture.js';
import type { ToolCall, ToolHarness } from '../../support/tool-harness.js';
import { toolHarness } from '../../support/tool-harness.js';

const WEB_ROOT = 'https://cloud.example.com/';

let sim: Simulator;
let secret: string;
let nextcloud: Nextcloud;
let tools: ToolHarness;

beforeAll(async () => {
  ({ sim, secret, nextcloud } = await startLibFixture());
  tools = toolHarness(nextcloud, WEB_ROOT);
});
afterAll(() => sim?.stop());

type Result = { id: string; title: string; url: string };
type Document = { id: string; title: string; text: string; url: string; metadata?: Record<string, unknown> };

/** The one text item ChatGPT reads, parsed; fails unless the content is exactly that. */
function only(call: ToolCall): unknown {
  expect(call.isError, call.text).toBe(false);
  expect(call.result.content).toHaveLength(1);
  const [item] = call.result.content;
  expect(Object.keys(item!).sort()).toEqual(['text', 'type']);
  expect(item!.type).toBe('text');
  return JSON.parse(call.text);
}

function results(call: ToolCall): Result[] {
  const body = only(call) as { results: Result[] };
  expect(Object.keys(body)).toEqual(['results']);
  for (const result of body.results) expect(Object.keys(result).sort()).toEqual(['id', 'title', 'url']);
  return body.results;
}

function document(call: ToolCall): Document {
  const body = only(call) as Document;
  expect(
    Object.keys(body)
      .filter((key) => key !== 'metadata')
      .sort(),
  ).toEqual(['id', 'text', 'title', 'url']);
  return body;
}

describe('declarations', () => {
  it('are named search and fetch, take one string each, and are offered to any read scope', () => {
    expect(chatgptTools.map((tool) => tool.name)).toEqual(['search', 'fetch']);
    expect(Object.keys(search.input.shape)).toEqual(['query']);
    expect(Object.keys(fetch.input.shape)).toEqual(['id']);
    for (const tool of chatgptTools) {
      expect(tool.annotations.readOnlyHint).toBe(true);
      expect(toolAllowed(tool, ['talk.read'])).toBe(true);
      for (const scope of ['contacts.read', 'tasks.read', 'notes.read', 'deck.read'] as const)
        expect(toolAllowed(tool, [scope])).toBe(true);
      expect(toolAllowed(tool, ['contacts.write', 'tasks.write', 'notes.write', 'deck.write'])).toBe(false);
      expect(toolAllowed(tool, ['files.write', 'calendar.write', 'talk.write'])).toBe(false);
    }
  });
});

describe('search and fetch round trip', () => {
  it('finds files and Talk messages and fetches each as alice, in the exact ChatGPT shape', async () => {
    const found = results(await tools.call(search, { query: 'roadmap' }));
    const file = found.find((result) => result.id === 'file:/Plans/Roadmap.md')!;
    expect(file.title).toBe('Roadmap.md (in /Plans)');
    expect(file.url).toMatch(/^https:\/\/cloud\.example\.com\/index\.php\/f\/\d+$/);
    const message = found.find((result) => result.id.startsWith('talk:alicebob1/'))!;
    expect(message.title).toContain('did you see the new roadmap in Plans?');
    expect(message.url).toBe(`https://cloud.example.com/index.php/call/alicebob1#message_${message.id.split('/')[1]}`);

    const fileCall = await tools.call(fetch, { id: file.id });
    const fetchedFile = document(fileCall);
    expect(fetchedFile).toMatchObject({
      id: file.id,
      title: 'Roadmap.md',
      url: file.url,
      text: '# Roadmap\n\n- Q3: milestones\n- Q4: launch\n',
    });
    expect(fetchedFile.metadata).toMatchObject({ source: 'files', path: '/Plans/Roadmap.md', truncated: false });
    expect(fileCall.audited).toEqual(['/Plans/Roadmap.md']);
    expect(fileCall.structured).toEqual(fetchedFile);

    const messageCall = await tools.call(fetch, { id: message.id });
    const fetchedMessage = document(messageCall);
    expect(fetchedMessage).toMatchObject({ id: message.id, title: 'Alice Liddell in Bob Builder', url: message.url });
    expect(fetchedMessage.text).toContain('From: Alice Liddell');
    expect(fetchedMessage.text).toContain('Hi Bob, did you see the new roadmap in Plans?');
    expect(messageCall.audited).toEqual([message.id.slice('talk:'.length).replace('/', '#')]);
  });

  it('finds a calendar event and fetches a readable summary of it', async () => {
    const found = results(await tools.call(search, { query: 'dentist' }));
    expect(found).toEqual([
      {
        id: 'event:personal/dentist.ics',
        title: expect.stringMatching(/^Dentist appointment \(\d{4}-\d{2}-\d{2}T14:00:00Z UTC\)$/),
        url: 'https://cloud.example.com/index.php/apps/calendar',
      },
    ]);
    const call = await tools.call(fetch, { id: 'event:personal/dentist.ics' });
    const event = document(call);
    expect(event).toMatchObject({
      id: 'event:personal/dentist.ics',
      title: 'Dentist appointment',
      url: 'https://cloud.example.com/index.php/apps/calendar',
    });
    expect(event.text).toContain('Location: Dr. Smile, Main Street 1');
    expect(event.text).toContain('Calendar: Personal');
    expect(event.text).toMatch(/Starts: \d{4}-\d{2}-\d{2}T14:00:00Z UTC\nEnds: \d{4}-\d{2}-\d{2}T15:00:00Z UTC\n/);
    expect(event.text).not.toContain('Repeats:');
    expect(event.metadata).toMatchObject({
      source: 'calendar',
      calendar: 'Personal',
      start: expect.stringMatching(/T14:00:00Z$/),
      timeZone: 'UTC',
      allDay: false,
      recurring: false,
      uid: 'sim-dentist',
    });
    expect(call.audited).toEqual(['personal/dentist.ics']);
    // Matches the place and description, not only the title.
    expect(results(await tools.call(search, { query: 'lakeside' })).map((result) => result.id)).toEqual(['event:team/offsite.ics']);
  });

  it('gives events the ids and times the calendar tools give them', async () => {
    const listed = await tools.call(listEvents, {
      start: new Date(Date.now() - 86_400_000).toISOString(),
      end: new Date(Date.now() + 9 * 86_400_000).toISOString(),
    });
    const standup = (listed.structured as { events: { id: string; summary: string; start: string; timeZone: string }[] }).events.find(
      (entry) => entry.summary === 'Team standup',
    )!;
    const [found, ...others] = results(await tools.call(search, { query: 'standup' }, { scopes: ['calendar.read'] }));
    expect(others).toEqual([]);
    // The series is one result, titled by its next occurrence in the zone it was planned in.
    expect(found).toEqual({
      id: `event:${standup.id}`,
      title: `Team standup (${standup.start} Europe/Berlin)`,
      url: 'https://cloud.example.com/index.php/apps/calendar',
    });
    expect(standup.start).toMatch(/T09:30:00\+0[12]:00$/);
    const series = document(await tools.call(fetch, { id: found!.id }));
    expect(series.text).toContain(`Starts: ${standup.start} Europe/Berlin`);
    expect(series.text).toContain('Repeats: FREQ=WEEKLY');
    expect(series.text).toContain('Location: Video call');
    expect(series.metadata).toMatchObject({
      source: 'calendar',
      start: standup.start,
      timeZone: 'Europe/Berlin',
      allDay: false,
      recurring: true,
      uid: 'sim-standup',
    });

    const [kickoff] = results(await tools.call(search, { query: 'kickoff' }, { scopes: ['calendar.read'] }));
    const day = /^Project kickoff \((\d{4}-\d{2}-\d{2}), all day\)$/.exec(kickoff!.title)?.[1];
    expect(day, kickoff!.title).toBeDefined();
    const allDay = document(await tools.call(fetch, { id: kickoff!.id }));
    expect(allDay.text).toContain(`Starts: ${day} (all day)`);
    expect(allDay.text).toContain('Kickoff of the new project, all day.');
    expect(allDay.metadata).toMatchObject({ start: day, allDay: true });
    expect(allDay.metadata).not.toHaveProperty('timeZone');
  });

  it('reads a folder as a listing and describes a binary file instead of dumping it', async () => {
    const folder = document(await tools.call(fetch, { id: 'file:/Documents' }));
    expect(folder.text.split('\n')).toEqual(
      expect.arrayContaining(['Folder /Documents', 'Notes.txt (56 bytes)', 'Budget.csv (46 bytes)', 'Report 2026.pdf (593 bytes)']),
    );
    const pdf = document(await tools.call(fetch, { id: 'file:/Documents/Report 2026.pdf' }));
    expect(pdf.text).toContain('Report 2026.pdf (application/pdf, 593 bytes) in /Documents is not a text file');
    expect(pdf.text).not.toContain('%PDF');
  });

  it('decides what is text as files_read does: bytes of no known type are looked at, NUL bytes are binary', async () => {
    const files = nextcloud.as('alice').files;
    await files.write('/Notes/Makefile', 'all:\n\techo built\n');
    expect(document(await tools.call(fetch, { id: 'file:/Notes/Makefile' })).text).toBe('all:\n\techo built\n');
    await files.write('/Notes/blob.dat', new Uint8Array([0x50, 0x4b, 0, 0, 1, 2, 3]));
    expect(document(await tools.call(fetch, { id: 'file:/Notes/blob.dat' })).text).toContain(
      'blob.dat (application/octet-stream, 7 bytes) in /Notes is not a text file',
    );
    await files.write('/Notes/long.txt', 'ab\u00fc'.repeat(40_000));
    const long = document(await tools.call(fetch, { id: 'file:/Notes/long.txt' }));
    expect(long.metadata).toMatchObject({ truncated: true });
    expect(long.text).toMatch(/^(ab\u00fc)+(ab?)?\n\n\[Cut after 98 KB of 156 KB\.\]$/);
  });

  it('falls back to the words of a phrase that matches nothing as a whole', async () => {
    const ids = results(await tools.call(search, { query: 'roadmap milestones' })).map((result) => result.id);
    expect(ids).toEqual(expect.arrayContaining(['file:/Plans/Roadmap.md', 'file:/Plans/Q3/Milestones.txt']));
  });

  it('returns an empty result list, still as one text item, when nothing matches', async () => {
    expect(results(await tools.call(search, { query: 'zebra crossing' }))).toEqual([]);
  });
});

describe('scopes', () => {
  it('searches only the sources the grant may read', async () => {
    const filesOnly = results(await tools.call(search, { query: 'roadmap' }, { scopes: ['files.read'] }));
    expect(filesOnly.length).toBeGreaterThan(0);
    expect(filesOnly.every((result) => result.id.startsWith('file:'))).toBe(true);
    expect(results(await tools.call(search, { query: 'dentist' }, { scopes: ['files.read'] }))).toEqual([]);
    const talkOnly = results(await tools.call(search, { query: 'roadmap' }, { scopes: ['talk.read'] }));
    expect(talkOnly.map((result) => result.id.split(':')[0])).toEqual(['talk']);
  });

  it('refuses to fetch what the grant may not read, in the words it uses for an id it never gave out', async () => {
    const message = results(await tools.call(search, { query: 'roadmap' })).find((result) => result.id.startsWith('talk:'))!;
    const talk = await tools.call(fetch, { id: message.id }, { scopes: ['files.read'] });
    expect(talk.isError).toBe(true);
    expect(talk.text).toBe(`"${message.id}" is not an id this connector gave out; use an id from a search result.`);
    expect(talk.text).not.toContain('roadmap');
    const event = await tools.call(fetch, { id: 'event:personal/dentist.ics' }, { scopes: ['files.read', 'talk.read'] });
    expect(event.isError).toBe(true);
    expect(event.text).toBe('"event:personal/dentist.ics" is not an id this connector gave out; use an id from a search result.');
    const file = await tools.call(fetch, { id: 'file:/Readme.md' }, { scopes: ['calendar.read'] });
    expect(file.isError).toBe(true);
    expect(file.text).toContain('is not an id this connector gave out');
  });
});

describe('folder allowlist', () => {
  const policy = { folderAllowlist: ['/Documents'] };

  it('confines search results to the allowed folders', async () => {
    const notes = results(await tools.call(search, { query: 'notes' }, { policy }));
    expect(notes.map((result) => result.id)).toEqual(['file:/Documents/Notes.txt']);
    const unconfined = results(await tools.call(search, { query: 'notes' }, { scopes: ['files.read'] })).map((result) => result.id);
    expect(unconfined).toEqual(expect.arrayContaining(['file:/Documents/Notes.txt', 'file:/Notes']));
    expect(results(await tools.call(search, { query: 'roadmap' }, { policy, scopes: ['files.read'] }))).toEqual([]);
  });

  it('refuses to fetch a file outside them, and fetches one inside', async () => {
    const outside = await tools.call(fetch, { id: 'file:/Plans/Roadmap.md' }, { policy });
    expect(outside.isError).toBe(true);
    expect(outside.text).toContain('outside the folders the administrator made available');
    expect(outside.text).not.toContain('launch');
    const sneaky = await tools.call(fetch, { id: 'file:/Documents/../Plans/Roadmap.md' }, { policy });
    expect(sneaky.isError).toBe(true);
    expect(sneaky.text).not.toContain('launch');
    const inside = document(await tools.call(fetch, { id: 'file:/Documents/Budget.csv' }, { policy }));
    expect(inside.text).toContain('rent,1200');
  });
});

describe('ids resolve as the caller', () => {
  it("does not fetch alice's file or event for bob", async () => {
    const file = await tools.call(fetch, { id: 'file:/Documents/Notes.txt' }, { user: 'bob' });
    expect(file.isError).toBe(true);
    expect(file.text).not.toContain('Shopping list');
    const event = await tools.call(fetch, { id: 'event:personal/dentist.ics' }, { user: 'bob' });
    expect(event.isError).toBe(true);
    expect(event.text).not.toContain('Dr. Smile');
    const team = await tools.call(fetch, { id: 'event:team/offsite.ics' }, { user: 'bob' });
    expect(team.isError).toBe(true);
    expect(team.text).toMatch(/^bob has no calendar "team"\./);
    expect(team.text).not.toContain('Lakeside');
  });

  it('gives bob what is shared with him, under his own ids', async () => {
    const found = results(await tools.call(search, { query: 'offsite' }, { user: 'bob' }));
    expect(found.map((result) => result.id)).toContain('event:team_shared_by_alice/offsite.ics');
    expect(document(await tools.call(fetch, { id: 'event:team_shared_by_alice/offsite.ics' }, { user: 'bob' })).text).toContain(
      'Lakeside lodge',
    );
    expect(
      results(await tools.call(search, { query: 'roadmap' }, { user: 'bob', scopes: ['files.read'] })).map((result) => result.id),
    ).toEqual(['file:/Shared/Plans/Roadmap.md']);
  });

  it('does not fetch a Talk message of a conversation carol is not in', async () => {
    const message = results(await tools.call(search, { query: 'coffee machine' })).find((result) =>
      result.id.startsWith('talk:lounge99/'),
    )!;
    expect(document(await tools.call(fetch, { id: message.id }, { user: 'bob' })).text).toContain('Coffee machine is fixed');
    const carol = await tools.call(fetch, { id: message.id }, { user: 'carol' });
    expect(carol.isError).toBe(true);
    expect(carol.text).toContain('carol is not a participant');
    expect(carol.text).not.toContain('Coffee');
  });

  it('refuses ids it never gives out: URLs, paths out of a calendar, made-up kinds', async () => {
    for (const id of [
      `${sim.url}/remote.php/dav/calendars/alice/personal/dentist.ics`,
      'event:personal/../../alice/personal/dentist.ics',
      'event:personal/..',
      'event:',
      'event:/dentist.ics',
      'event:file:/Documents/Notes.txt',
      'event:talk:lounge99/1',
      'file:event:personal/dentist.ics',
      'talk:lounge99/abc',
      'mail:42',
      'Readme.md',
    ]) {
      const call = await tools.call(fetch, { id }, { user: 'bob' });
      expect(call.isError, id).toBe(true);
      expect(call.text, id).toContain('is not an id this connector gave out');
    }
    const missing = await tools.call(fetch, { id: 'talk:apollo42x/999999' });
    expect(missing.isError).toBe(true);
    expect(missing.text).toBe("There is no message 999999 in Talk conversation 'Project Apollo'.");
  });
});

describe('a source Nextcloud answers badly', () => {
  it('fails the search instead of answering without that source', async () => {
    const proxy = await startFaultProxy(sim.url);
    try {
      // Only Talk's search provider answers with a page; files and events answer as usual.
      proxy.set('html', (_method, path) => path.includes('/search/providers/talk-message/'));
      const viaProxy = createNextcloud({
        baseUrl: proxy.url,
        appId: 'mcp_gateway',
        appVersion: '0.1.0',
        appSecret: secret,
        timeoutMs: 5000,
      });
      const call = await toolHarness(viaProxy, WEB_ROOT).call(search, { query: 'budget' });
      expect(call.isError).toBe(true);
      expect(call.text).toMatch(
        /Nextcloud answered GET \/ocs\/v2\.php\/search\/providers\/talk-message\/search in an unexpected way: 200 with text\/html/,
      );
    } finally {
      await proxy.close();
    }
  });
});

const kinds = (found: Result[]) => [...new Set(found.map((result) => result.id.split(':')[0]))];
const refusedAsUnknown = (call: ToolCall, id: string) => {
  expect(call.isError, id).toBe(true);
  expect(call.text, id).toBe(`"${id}" is not an id this connector gave out; use an id from a search result.`);
};

describe('contacts', () => {
  it("finds alice's contact by name and email and fetches its details, linked into the Contacts app", async () => {
    const found = results(await tools.call(search, { query: 'rabbit' }, { scopes: ['contacts.read'] }));
    expect(found).toEqual([
      {
        id: 'contact:contacts/white-rabbit.vcf',
        title: 'White Rabbit (rabbit@wonderland.example)',
        url: 'https://cloud.example.com/index.php/apps/contacts/direct/contact/sim-contact-white-rabbit~contacts',
      },
    ]);
    const call = await tools.call(fetch, { id: found[0]!.id });
    const contact = document(call);
    expect(contact).toMatchObject({ id: 'contact:contacts/white-rabbit.vcf', title: 'White Rabbit', url: found[0]!.url });
    expect(contact.text).toContain('Contact: White Rabbit\nAddress book: Contacts\n');
    expect(contact.text).toContain('Email: rabbit@wonderland.example (work), late@wonderland.example (home)');
    expect(contact.text).toContain('Phone: +44 20 7946 0001 (cell)');
    expect(contact.text).toContain('Title: Herald');
    expect(contact.metadata).toMatchObject({ source: 'contacts', email: 'rabbit@wonderland.example', uid: 'sim-contact-white-rabbit' });
    expect(call.audited).toEqual(['contacts/white-rabbit.vcf']);
    // Among everything else the grant reads, with every source searched at once.
    expect(results(await tools.call(search, { query: 'hatter' })).map((result) => result.id)).toContain('contact:contacts/mad-hatter.vcf');
  });

  it("keeps alice's own contacts from bob, and gives him her shared book's under his own ids", async () => {
    expect(results(await tools.call(search, { query: 'rabbit' }, { user: 'bob' })).filter((r) => r.id.startsWith('contact:'))).toEqual([]);
    const denied = await tools.call(fetch, { id: 'contact:contacts/white-rabbit.vcf' }, { user: 'bob' });
    expect(denied.isError).toBe(true);
    expect(denied.text).toContain('does not exist');
    expect(denied.text).not.toMatch(/Rabbit|Herald/);
    const shared = results(await tools.call(search, { query: 'caterpillar' }, { user: 'bob', scopes: ['contacts.read'] }));
    expect(shared).toHaveLength(1);
    expect(shared[0]!.id).toMatch(/^contact:[^/:]+\/caterpillar\.vcf$/);
    expect(shared[0]!.id).not.toBe('contact:team/caterpillar.vcf');
    expect(document(await tools.call(fetch, { id: shared[0]!.id }, { user: 'bob' })).text).toContain('Organisation: Mushroom Advisory');
    const own = results(await tools.call(search, { query: 'wendy' }, { user: 'bob', scopes: ['contacts.read'] }));
    expect(own.map((result) => result.id)).toEqual(['contact:contacts/wendy.vcf']);
  });
});

describe('tasks', () => {
  it('finds tasks by text across the lists and fetches one with status, due, priority and description', async () => {
    const found = results(await tools.call(search, { query: 'birthday' }, { scopes: ['tasks.read'] }));
    expect(found).toEqual([
      {
        id: 'task:tasks/present.ics',
        title: expect.stringMatching(/^Buy birthday present \(Tasks, due \d{4}-\d{2}-\d{2}\)$/),
        url: 'https://cloud.example.com/index.php/apps/tasks/calendars/tasks/tasks/present.ics',
      },
    ]);
    const call = await tools.call(fetch, { id: 'task:tasks/present.ics' });
    const task = document(call);
    expect(task).toMatchObject({ title: 'Buy birthday present', url: found[0]!.url });
    expect(task.text).toMatch(
      /^Task: Buy birthday present\nList: Tasks\nStatus: open\nDue: \d{4}-\d{2}-\d{2} \(all day\)\nPriority: 1 \(high\)\n/,
    );
    expect(task.text).toContain('Categories: Errands, Family, Gifts');
    expect(task.text).toContain('\n\nSomething with hats.');
    expect(task.metadata).toMatchObject({ source: 'tasks', list: 'Tasks', status: 'open', priority: 1, uid: 'sim-task-present' });
    expect(call.audited).toHaveLength(1);
    expect(call.audited[0]).toMatch(/\/tasks\/present\.ics$/);

    const party = document(await tools.call(fetch, { id: 'task:tasks/party.ics' }));
    expect(party.text).toContain('Subtasks:\n- [ ] Send invitations');
    const done = results(await tools.call(search, { query: 'tax return' }, { scopes: ['tasks.read'] }));
    expect(done.map((result) => result.title)).toEqual(['File tax return (Tasks, completed)']);
    expect(document(await tools.call(fetch, { id: done[0]!.id })).text).toContain('Status: completed');
  });

  it("leaves Deck's board calendars to Deck, and keeps alice's own lists from bob", async () => {
    expect(results(await tools.call(search, { query: 'tulips' }, { scopes: ['tasks.read'] }))).toEqual([]);
    expect(results(await tools.call(search, { query: 'birthday' }, { user: 'bob', scopes: ['tasks.read'] }))).toEqual([]);
    const denied = await tools.call(fetch, { id: 'task:tasks/present.ics' }, { user: 'bob' });
    expect(denied.isError).toBe(true);
    expect(denied.text).not.toContain('hats');
    const shared = results(await tools.call(search, { query: 'bins' }, { user: 'bob', scopes: ['tasks.read'] }));
    expect(shared.map((result) => result.id)).toEqual(['task:chores_shared_by_alice/bins.ics']);
    expect(document(await tools.call(fetch, { id: shared[0]!.id }, { user: 'bob' })).text).toContain('List: Household chores');
  });
});

describe('notes', () => {
  const noteIds = async (query: string, options: Parameters<ToolHarness['call']>[2] = {}) =>
    results(await tools.call(search, { query }, options)).filter((result) => result.id.startsWith('note:'));

  it("finds alice's notes by content and fetches one, linked into the Notes app", async () => {
    const found = await noteIds('croquet');
    expect(found.map((result) => result.title).sort()).toEqual(['Croquet rules (in Work/Ideas)', 'Standup agenda (in Work)']);
    const rules = found.find((result) => result.title.startsWith('Croquet'))!;
    const noteId = Number(rules.id.slice('note:'.length));
    expect(rules.url).toBe(`https://cloud.example.com/index.php/apps/notes/note/${noteId}`);
    const call = await tools.call(fetch, { id: rules.id });
    const note = document(call);
    expect(note).toEqual({
      id: rules.id,
      title: 'Croquet rules',
      text: '# Croquet rules\n\nFlamingos as mallets, hedgehogs as balls.\n',
      url: rules.url,
      metadata: expect.objectContaining({ source: 'notes', category: 'Work/Ideas', path: '/Notes/Work/Ideas/Croquet rules.md' }),
    });
    expect(call.audited).toEqual(['/Notes/Work/Ideas/Croquet rules.md']);
  });

  it("keeps alice's notes from bob", async () => {
    const rules = (await noteIds('croquet')).find((result) => result.title.startsWith('Croquet'))!;
    expect(await noteIds('croquet', { user: 'bob' })).toEqual([]);
    const denied = await tools.call(fetch, { id: rules.id }, { user: 'bob' });
    expect(denied.isError).toBe(true);
    expect(denied.text).toContain('does not exist');
    expect(denied.text).not.toContain('Flamingos');
    expect((await noteIds('couplers', { user: 'bob' })).map((result) => result.title)).toEqual(['Scaffolding checklist (in Site)']);
  });

  it('gives a grant with only notes.read notes and nothing else', async () => {
    const scopes = ['notes.read' as const];
    const found = results(await tools.call(search, { query: 'croquet' }, { scopes }));
    expect(found).toHaveLength(2);
    expect(kinds(found)).toEqual(['note']);
    // Words found by every other source are not searched for at all.
    for (const query of ['rabbit', 'birthday', 'press release', 'roadmap', 'dentist']) {
      expect(results(await tools.call(search, { query }, { scopes })), query).toEqual([]);
    }
    refusedAsUnknown(await tools.call(fetch, { id: 'contact:contacts/white-rabbit.vcf' }, { scopes }), 'contact:contacts/white-rabbit.vcf');
    refusedAsUnknown(await tools.call(fetch, { id: 'task:tasks/present.ics' }, { scopes }), 'task:tasks/present.ics');
    refusedAsUnknown(await tools.call(fetch, { id: 'file:/Plans/Roadmap.md' }, { scopes }), 'file:/Plans/Roadmap.md');
    // And the other way round: a grant without notes.read cannot fetch a note, nor learn that it exists.
    refusedAsUnknown(await tools.call(fetch, { id: found[0]!.id }, { scopes: ['files.read'] }), found[0]!.id);
    refusedAsUnknown(await tools.call(fetch, { id: 'note:999999' }, { scopes: ['files.read'] }), 'note:999999');
  });

  it("shows nothing of a family whose reading tools the admin switched off, whatever the grant's scopes", async () => {
    const found = results(await tools.call(search, { query: 'croquet' }));
    const note = found.find((result) => result.id.startsWith('note:'))!;
    expect(note).toBeDefined();
    const notesOff = { policy: { disabledTools: ['notes_get'] } };
    expect(kinds(results(await tools.call(search, { query: 'croquet' }, notesOff)))).not.toContain('note');
    refusedAsUnknown(await tools.call(fetch, { id: note.id }, notesOff), note.id);
    const filesOff = { policy: { disabledTools: ['files_read'] } };
    expect(kinds(results(await tools.call(search, { query: 'roadmap' }, filesOff)))).not.toContain('file');
    refusedAsUnknown(await tools.call(fetch, { id: 'file:/Plans/Roadmap.md' }, filesOff), 'file:/Plans/Roadmap.md');
    // Switching off another family's tool takes nothing from this one.
    expect(kinds(results(await tools.call(search, { query: 'croquet' }, { policy: { disabledTools: ['deck_get_card'] } })))).toContain(
      'note',
    );
  });

  it('neither finds nor fetches a note outside the folder allowlist', async () => {
    const scones = results(await tools.call(search, { query: 'flour' }, { scopes: ['notes.read'] }));
    expect(scones.map((result) => result.title)).toEqual(['Scones (in Recipes)']);
    const policy = { folderAllowlist: ['/Notes/Work'] };
    expect(await noteIds('flour', { policy })).toEqual([]);
    expect((await noteIds('croquet', { policy })).length).toBe(2);
    const outside = await tools.call(fetch, { id: scones[0]!.id }, { policy });
    expect(outside.isError).toBe(true);
    expect(outside.text).toContain('does not exist');
    expect(outside.text).not.toContain('butter');
  });

  it('neither finds nor fetches a note hidden by tag', async () => {
    const alice = nextcloud.as('alice');
    const rules = (await noteIds('croquet')).find((result) => result.title.startsWith('Croquet'))!;
    const fileId = Number(rules.id.slice('note:'.length));
    const project = (await alice.tags.list()).find((tag) => tag.name === 'Project')!;
    await alice.tags.assign(fileId, project.id);
    forgetHiddenFiles();
    try {
      const hide = { policy: { hiddenTags: ['Project'] } };
      expect((await noteIds('croquet', hide)).map((result) => result.title)).toEqual(['Standup agenda (in Work)']);
      const hidden = await tools.call(fetch, { id: rules.id }, hide);
      expect(hidden.isError).toBe(true);
      expect(hidden.text).toContain('does not exist');
      expect(hidden.text).not.toMatch(/Flamingos|tag|Project/i);
    } finally {
      await alice.tags.unassign(fileId, project.id);
      forgetHiddenFiles();
    }
  });

  it('leaves the other sources working when Notes is not enabled for the user, or not installed', async () => {
    const rules = (await noteIds('croquet')).find((result) => result.title.startsWith('Croquet'));
    const before = sim.state.nextcloudApps.get('notes');
    try {
      for (const change of [
        () => sim.state.nextcloudApps.set('notes', { groups: ['admin'] }),
        () => sim.state.nextcloudApps.delete('notes'),
      ]) {
        change();
        const found = results(await tools.call(search, { query: 'croquet' }));
        expect(kinds(found)).not.toContain('note');
        expect(results(await tools.call(search, { query: 'rabbit' })).map((result) => result.id)).toContain(
          'contact:contacts/white-rabbit.vcf',
        );
        expect(results(await tools.call(search, { query: 'croquet' }, { scopes: ['notes.read'] }))).toEqual([]);
        const unreachable = await tools.call(fetch, { id: rules!.id });
        expect(unreachable.isError).toBe(true);
        expect(unreachable.text).toMatch(/The Notes app is not (enabled for alice|installed)/);
      }
    } finally {
      if (before) sim.state.nextcloudApps.set('notes', before);
    }
    expect(await noteIds('croquet')).toHaveLength(2);
  });
});

describe('Deck cards', () => {
  const cards = async (query: string, options: Parameters<ToolHarness['call']>[2] = {}) =>
    results(await tools.call(search, { query }, options)).filter((result) => result.id.startsWith('card:'));

  it('finds a card by title or description and fetches it with its board and list', async () => {
    const [press, ...others] = await cards('press release');
    expect(others).toEqual([]);
    const [boardId, cardId] = press!.id.slice('card:'.length).split('/').map(Number);
    expect(press).toEqual({
      id: `card:${boardId}/${cardId}`,
      title: 'Write the press release (Product launch » To do)',
      url: `https://cloud.example.com/index.php/apps/deck/card/${cardId}`,
    });
    const call = await tools.call(fetch, { id: press!.id });
    const card = document(call);
    expect(card).toMatchObject({ id: press!.id, title: 'Write the press release', url: press!.url });
    expect(card.text).toMatch(/^Card: Write the press release\nBoard: Product launch\nList: To do\nDue: 2030-03-01T09:00:00/);
    expect(card.text).toContain('Labels: Action needed');
    expect(card.text).toContain('\n\nTwo paragraphs, with a quote from the CEO.');
    expect(card.metadata).toMatchObject({ source: 'deck', board: 'Product launch', list: 'To do', done: false });
    expect(call.audited).toEqual([`deck/board/${boardId}/card/${cardId}`]);
    expect((await cards('sign-up form')).map((result) => result.title)).toEqual(['Design the landing page (Product launch » Doing)']);
  });

  it('gives bob the cards of the board alice shares with him, and not those of his own board to her', async () => {
    const [press] = await cards('press release');
    const forBob = await cards('press release', { user: 'bob' });
    expect(forBob).toEqual([press]);
    expect(document(await tools.call(fetch, { id: press!.id }, { user: 'bob' })).text).toContain('Board: Product launch');
    const [birdhouse] = await cards('birdhouse', { user: 'bob' });
    expect(birdhouse!.title).toBe('Build a birdhouse (Workshop » Ideas)');
    expect(await cards('birdhouse')).toEqual([]);
    const denied = await tools.call(fetch, { id: birdhouse!.id });
    expect(denied.isError).toBe(true);
    expect(denied.text).not.toContain('Cedar');
    // A card id named with a board alice does see does not reach a card on another board.
    const [launchBoard] = press!.id.slice('card:'.length).split('/');
    const moved = await tools.call(fetch, { id: `card:${launchBoard}/${birdhouse!.id.split('/')[1]}` });
    expect(moved.isError).toBe(true);
    expect(moved.text).not.toContain('Cedar');
  });

  it('leaves the other sources working when Deck is not enabled for the user, or not installed', async () => {
    const before = sim.state.nextcloudApps.get('deck');
    try {
      for (const change of [
        () => sim.state.nextcloudApps.set('deck', { groups: ['admin'] }),
        () => sim.state.nextcloudApps.delete('deck'),
      ]) {
        change();
        expect(await cards('press release')).toEqual([]);
        expect(kinds(results(await tools.call(search, { query: 'birthday' })))).toEqual(['task']);
        expect(results(await tools.call(search, { query: 'press release' }, { scopes: ['deck.read'] }))).toEqual([]);
      }
    } finally {
      if (before) sim.state.nextcloudApps.set('deck', before);
    }
  });
});

describe('crafted ids of the new kinds', () => {
  it('refuses ids it never gives out, and one that names nothing, cleanly', async () => {
    for (const id of [
      'contact:../x',
      'contact:contacts/../../bob/contacts/wendy.vcf',
      'contact:contacts',
      'contact:/wendy.vcf',
      'contact:contacts/a\\b',
      'task:tasks/..',
      'task:../tasks/present.ics',
      'note:abc',
      'note:0',
      'note:-1',
      'note:1.5',
      'note:99999999999999999',
      'card:1/abc',
      'card:1',
      'card:1/2/3',
      'card:0/1',
      'card:/1',
    ]) {
      refusedAsUnknown(await tools.call(fetch, { id }), id);
    }
    for (const id of ['note:999999', 'card:999999/1', 'contact:contacts/nobody.vcf', 'task:tasks/nothing.ics', 'contact:nobook/x.vcf']) {
      const call = await tools.call(fetch, { id });
      expect(call.isError, id).toBe(true);
      expect(call.text, id).not.toContain('is not an id this connector gave out');
    }
  });
});

describe('the work one search does', () => {
  it('reads each task list and Deck board once for a phrase tried word by word, and no more than the first boards', async () => {
    const store = deckStore(sim.state);
    const boards = Array.from({ length: MAX_BOARDS + 2 }, (_, index) => createBoard(store, 'carol', `Carol board ${index + 1}`, 'aabbcc'));
    addCard(store, addStack(store, boards[0]!.id, 'Inbox', 0).id, 'carol', { title: 'Paint the first fence', order: 0 });
    addCard(store, addStack(store, boards.at(-1)!.id, 'Inbox', 0).id, 'carol', { title: 'Paint the last fence', order: 0 });
    const requests: string[] = [];
    const counting = (async (input: string | URL | Request, init?: RequestInit) => {
      requests.push(`${(init?.method ?? 'GET').toUpperCase()} ${new URL(input instanceof Request ? input.url : String(input)).pathname}`);
      return globalThis.fetch(input, init);
    }) as typeof globalThis.fetch;
    const counted = toolHarness(
      createNextcloud({
        baseUrl: sim.url,
        appId: 'mcp_gateway',
        appVersion: '0.1.0',
        appSecret: secret,
        timeoutMs: 10_000,
        fetch: counting,
      }),
      WEB_ROOT,
    );
    const scopes = ['tasks.read' as const, 'deck.read' as const];
    const found = results(await counted.call(search, { query: 'zzqx fence painting' }, { user: 'carol', scopes }));
    expect(found.map((result) => result.title)).toEqual([`Paint the first fence (Carol board 1 » Inbox)`]);
    const stackReads = requests.filter((request) => /\/apps\/deck\/api\/v1\.0\/boards\/\d+\/stacks$/.test(request));
    expect(stackReads).toHaveLength(MAX_BOARDS);
    expect(new Set(stackReads).size).toBe(MAX_BOARDS);
    expect(requests.filter((request) => request.endsWith('/apps/deck/api/v1.0/boards'))).toHaveLength(1);

    requests.length = 0;
    expect(results(await counted.call(search, { query: 'zzqx birthday present' }, { scopes }))[0]!.id).toBe('task:tasks/present.ics');
    const listReads = requests.filter((request) => request.startsWith('REPORT /remote.php/dav/calendars/alice/')).sort();
    expect(listReads).toEqual(['REPORT /remote.php/dav/calendars/alice/chores/', 'REPORT /remote.php/dav/calendars/alice/tasks/']);
  });
});
