// ChatGPT's search and fetch as simulator users: the exact content shape, scopes deciding which sources are
// searched and fetched, the folder allowlist, and ids that only resolve within the caller's own access.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Nextcloud } from '../../../lib/index.js';
import { createNextcloud } from '../../../lib/index.js';
import { listEvents } from '../../../src/tools/calendar/list-events.js';
import { chatgptTools, fetch, search } from '../../../src/tools/chatgpt/index.js';
import { toolAllowed } from '../../../src/tools/tool.js';
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

  it('refuses to fetch what the grant may not read', async () => {
    const message = results(await tools.call(search, { query: 'roadmap' })).find((result) => result.id.startsWith('talk:'))!;
    const talk = await tools.call(fetch, { id: message.id }, { scopes: ['files.read'] });
    expect(talk.isError).toBe(true);
    expect(talk.text).toBe('This connection may not read Talk (it lacks the talk.read permission).');
    expect(talk.text).not.toContain('roadmap');
    const event = await tools.call(fetch, { id: 'event:personal/dentist.ics' }, { scopes: ['files.read', 'talk.read'] });
    expect(event.isError).toBe(true);
    expect(event.text).toContain('calendar.read');
    const file = await tools.call(fetch, { id: 'file:/Readme.md' }, { scopes: ['calendar.read'] });
    expect(file.isError).toBe(true);
    expect(file.text).toContain('files.read');
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
