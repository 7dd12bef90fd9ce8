// lib/ calendar, Talk, users, search and AppAPI calls as real users against the simulator.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CalendarEvent, Nextcloud } from '../../lib/index.js';
import { parseCalendar, propTime, textOf } from '../../lib/ical.js';
import type { Simulator } from '../nextcloud-sim/index.js';
import { participantOf } from '../nextcloud-sim/talk.js';
import { failure, startLibFixture } from '../support/lib-fixture.js';

let sim: Simulator;
let nextcloud: Nextcloud;

beforeAll(async () => {
  ({ sim, nextcloud } = await startLibFixture());
});
afterAll(() => sim?.stop());

const DAY = 86_400_000;
/** The VEVENTs of stored calendar objects, as the iCalendar model reads them. */
const vevents = (objects: CalendarEvent[]) => objects.flatMap((object) => parseCalendar(object.ics).getAllSubcomponents('vevent'));
const summaryOf = (vevent: ReturnType<typeof vevents>[number]) => textOf(vevent, 'summary');

const window = () => ({ start: new Date(Date.now() - DAY), end: new Date(Date.now() + 30 * DAY) });

describe('calendar', () => {
  it('lists own and shared calendars, drops deleted ones, marks read-only shares', async () => {
    const alice = await nextcloud.as('alice').calendar.calendars();
    // Task lists are calendars too (VTODO only); the calendar tools pick the ones holding events.
    expect(alice.map((calendar) => calendar.id).sort()).toEqual(['app-generated--deck--board-1', 'chores', 'personal', 'tasks', 'team']);
    expect(alice.every((calendar) => !calendar.readOnly)).toBe(true);
    expect(alice.find((calendar) => calendar.id === 'personal')!.components).toContain('VEVENT');
    const bob = await nextcloud.as('bob').calendar.calendars();
    const shared = bob.find((calendar) => calendar.id === 'team_shared_by_alice')!;
    expect(shared).toMatchObject({ displayName: 'Team (Alice Liddell)', readOnly: true });
    expect(bob.find((calendar) => calendar.id === 'personal')!.readOnly).toBe(false);
  });

  it('lists events in a time range, expanding recurrences when asked', async () => {
    const calendar = nextcloud.as('alice').calendar;
    const events = vevents(await calendar.events('personal', window()));
    expect(events.map(summaryOf)).toEqual(expect.arrayContaining(['Team standup', 'Dentist appointment', 'Project kickoff']));
    const kickoff = events.find((event) => summaryOf(event) === 'Project kickoff')!;
    expect(propTime(kickoff, 'dtstart')!.time.isDate).toBe(true);
    const standup = events.find((event) => summaryOf(event) === 'Team standup')!;
    expect(propTime(standup, 'dtstart')!.tzid).toBe('Europe/Berlin');
    const expanded = vevents(await calendar.events('personal', { ...window(), expand: true }));
    expect(expanded.filter((event) => summaryOf(event) === 'Team standup').length).toBeGreaterThanOrEqual(4);
    expect(await calendar.events('personal', { start: new Date(Date.now() - 400 * DAY), end: new Date(Date.now() - 300 * DAY) })).toEqual(
      [],
    );
  });

  it('creates, reads, updates and deletes an event with etags', async () => {
    const calendar = nextcloud.as('bob').calendar;
    const ics = (summary: string) =>
      [
        'BEGIN:VCALENDAR',
        'VERSION:2.0',
        'PRODID:-//MCP Gateway//test//EN',
        'BEGIN:VEVENT',
        'UID:lib-test-1',
        'DTSTAMP:20260101T000000Z',
        'DTSTART:20261215T100000Z',
        'DTEND:20261215T110000Z',
        `SUMMARY:${summary}`,
        'END:VEVENT',
        'END:VCALENDAR',
        '',
      ].join('\r\n');
    const created = await calendar.createEvent('personal', ics('Review'));
    expect(created.etag).toBeTruthy();
    const read = await calendar.getEvent(created.url);
    const [event, ...others] = vevents([read]);
    expect(others).toEqual([]);
    expect({ uid: textOf(event!, 'uid'), summary: summaryOf(event!), start: propTime(event!, 'dtstart')!.time.toICALString() }).toEqual({
      uid: 'lib-test-1',
      summary: 'Review',
      start: '20261215T100000Z',
    });
    const updated = await calendar.updateEvent(created.url, ics('Review (moved)'), created.etag!);
    expect(vevents([await calendar.getEvent(created.url)]).map(summaryOf)).toEqual(['Review (moved)']);
    expect((await failure(calendar.updateEvent(created.url, ics('stale'), created.etag!))).code).toBe('precondition_failed');
    await calendar.deleteEvent(created.url, updated.etag ?? undefined);
    expect((await failure(calendar.getEvent(created.url))).code).toBe('not_found');
  });

  it("refuses bob's writes to alice's read-only calendar", async () => {
    const ics = [
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'PRODID:-//t//EN',
      'BEGIN:VEVENT',
      'UID:bob-sneaky',
      'DTSTAMP:20260101T000000Z',
      'DTSTART:20261215T100000Z',
      'SUMMARY:x',
      'END:VEVENT',
      'END:VCALENDAR',
      '',
    ].join('\r\n');
    const refused = await failure(nextcloud.as('bob').calendar.createEvent('team_shared_by_alice', ics));
    expect(refused).toMatchObject({ code: 'forbidden', status: 403 });
    expect(refused.message).toContain('bob may not change events in calendar team_shared_by_alice');
    const offsite = (await nextcloud.as('bob').calendar.events('team_shared_by_alice', window()))[0]!;
    expect(vevents([offsite]).map(summaryOf)).toEqual(['Team offsite']);
    expect((await failure(nextcloud.as('bob').calendar.deleteEvent(offsite.url))).code).toBe('forbidden');
  });

  it("does not reach another user's calendars", async () => {
    expect(
      (await failure(nextcloud.as('carol').calendar.events(`${sim.url}/remote.php/dav/calendars/alice/personal/`, window()))).code,
    ).toBe('not_found');
  });
});

describe('talk', () => {
  it('lists conversations with unread counts and who may post', async () => {
    const rooms = await nextcloud.as('carol').talk.conversations();
    expect(rooms.map((room) => room.displayName).sort()).toEqual(['Announcements', 'Project Apollo']);
    expect(rooms.find((room) => room.displayName === 'Announcements')).toMatchObject({ readOnly: true, canPost: false });
    expect(rooms.find((room) => room.displayName === 'Project Apollo')).toMatchObject({ canPost: true });
  });

  it('pages history without moving the read marker or clearing notifications', async () => {
    // Something new for bob: a notification he has not seen and a message past his read marker.
    const fresh = await nextcloud.as('alice').talk.send('alicebob1', 'Did you read the roadmap?');
    const room = sim.state.talk.rooms.find((candidate) => candidate.token === 'alicebob1')!;
    const bob = participantOf(room, 'bob')!;
    const marker = bob.lastReadMessage;
    const pending = [...bob.pendingNotifications];
    expect(pending).toContain(fresh.id);
    expect(marker).toBeLessThan(fresh.id);
    const before = (await nextcloud.as('bob').talk.conversation('alicebob1')).unreadMessages;
    const talk = nextcloud.as('bob').talk;
    const first = await talk.messages('alicebob1', { limit: 3 });
    expect(first.messages).toHaveLength(3);
    expect(first.messages[0]!.id).toBe(fresh.id);
    expect(first.messages[0]!.id).toBeGreaterThan(first.messages[1]!.id);
    const second = await talk.messages('alicebob1', { limit: 2, lastKnownMessageId: first.nextLastKnownMessageId! });
    expect(second.messages.at(-1)!.systemMessage).toBe('conversation_created');
    const end = await talk.messages('alicebob1', { limit: 2, lastKnownMessageId: second.nextLastKnownMessageId! });
    expect(end).toEqual({ messages: [], nextLastKnownMessageId: null });
    expect(bob.lastReadMessage).toBe(marker);
    expect(bob.pendingNotifications).toEqual(pending);
    expect((await talk.conversation('alicebob1')).unreadMessages).toBe(before);
  });

  it('renders mentions and links replies', async () => {
    const { messages } = await nextcloud.as('carol').talk.messages('apollo42x');
    expect(messages.map((message) => message.text)).toContain('Hi @Carol Danvers, it is in the Readme.');
    const direct = await nextcloud.as('alice').talk.messages('alicebob1');
    expect(direct.messages.find((message) => message.text === 'We can discuss it at the standup.')!.replyTo).toBeGreaterThan(0);
  });

  it('sends, and refuses read-only rooms and rooms the user is not in', async () => {
    const sent = await nextcloud.as('bob').talk.send('lounge99', 'Sent through lib', { referenceId: 'b'.repeat(64) });
    expect(sent).toMatchObject({ text: 'Sent through lib', actorId: 'bob', referenceId: 'b'.repeat(64) });
    const reply = await nextcloud.as('alice').talk.send('lounge99', 'Got it', { replyTo: sent.id, silent: true });
    expect(reply).toMatchObject({ replyTo: sent.id, actorId: 'alice' });
    const lounge = sim.state.talk.rooms.find((candidate) => candidate.token === 'lounge99')!;
    expect(participantOf(lounge, 'bob')!.pendingNotifications).not.toContain(reply.id);
    const readOnly = await failure(nextcloud.as('bob').talk.send('announce7', 'nope'));
    expect(readOnly).toMatchObject({ code: 'forbidden', status: 403 });
    expect(readOnly.message).toContain('bob may not post in Talk conversation announce7');
    const outsider = await failure(nextcloud.as('carol').talk.messages('lounge99'));
    expect(outsider).toMatchObject({ code: 'not_found', status: 404 });
    expect(outsider.message).toContain('carol is not a participant');
    expect((await failure(nextcloud.as('carol').talk.send('lounge99', 'let me in'))).code).toBe('not_found');
    expect(
      sim.state.talk.rooms.find((room) => room.token === 'lounge99')!.messages.some((message) => message.message === 'let me in'),
    ).toBe(false);
    await expect(nextcloud.as('bob').talk.messages('../x')).rejects.toThrow(/not a Talk conversation token/);
  });
});

describe('users, search and AppAPI', () => {
  it('returns the impersonated user and their groups', async () => {
    expect(await nextcloud.as('bob').currentUser()).toMatchObject({
      id: 'bob',
      displayName: 'Bob Builder',
      email: 'bob@example.com',
      groups: ['staff'],
    });
    expect(await nextcloud.as('admin').groups()).toEqual(['admin']);
    expect((await nextcloud.system().capabilities()).version.string).toBe('35.0.0');
  });

  it('searches through unified search providers', async () => {
    const providers = await nextcloud.as('alice').searchProviders();
    expect(providers.map((provider) => provider.id)).toContain('talk-message');
    const files = await nextcloud.as('bob').search('files', { term: 'roadmap' });
    expect(files.entries[0]!.attributes).toMatchObject({ path: '/Shared/Plans/Roadmap.md' });
    const messages = await nextcloud.as('carol').search('talk-message', { term: 'readme', filters: { conversation: 'apollo42x' } });
    expect(messages.entries).toHaveLength(1);
    expect(messages.entries[0]!.attributes.conversation).toBe('apollo42x');
  });

  it('reads and writes config values, preferences and settings forms', async () => {
    const system = nextcloud.system();
    await system.config.set('read_only', '1');
    expect(await system.config.get(['read_only', 'missing'])).toEqual({ read_only: '1' });
    expect(await system.config.delete(['read_only'])).toBe(1);
    expect(await system.config.delete(['read_only'])).toBe(0);
    await nextcloud.as('alice').preferences.set('tz', 'Europe/Berlin');
    expect(await nextcloud.as('alice').preferences.get(['tz'])).toEqual({ tz: 'Europe/Berlin' });
    expect(await nextcloud.as('bob').preferences.get(['tz'])).toEqual({});
    await system.settings.registerForm({
      id: 'lib_form',
      priority: 1,
      section_type: 'admin',
      section_id: 'declarative_settings',
      title: 'x',
      fields: [],
    });
    expect(await system.settings.getForm('lib_form')).toMatchObject({ id: 'lib_form' });
    await system.settings.unregisterForm('lib_form');
    expect(await system.settings.getForm('lib_form')).toBeNull();
    await system.log(2, 'hello from lib');
    expect(sim.lifecycle.log.at(-1)).toEqual({ appId: 'mcp_gateway', level: 2, message: 'hello from lib' });
  });

  it('reports progress to AppAPI', async () => {
    const app = sim.state.apps.get('mcp_gateway')!;
    app.status = { ...app.status, init: 0, type: 'install' };
    await nextcloud.system().setInitProgress(40);
    expect(app.status.init).toBe(40);
    await nextcloud.system().setInitProgress(60, 'database migration failed', { timeoutMs: 2000 });
    expect(app.status).toMatchObject({ init: 60, error: 'database migration failed' });
    await expect(nextcloud.system().setInitProgress(101)).rejects.toThrow(RangeError);
    app.status = { ...app.status, init: 100, type: '', error: '' };
    app.enabled = true;
  });
});
