// The calendar tools as simulator users: listing with recurrences and zones, details, writes with etags, and the
// boundaries (read-only shares, other users' calendars, crafted ids, invalid input).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CalendarEvent, Nextcloud } from '../../../lib/index.js';
import { parseCalendar, textOf } from '../../../lib/ical.js';
import { calendarTools } from '../../../src/tools/calendar/index.js';
import { DEFAULT_POLICY } from '../../../src/policy/policy.js';
import type { Tool, ToolContext } from '../../../src/tools/tool.js';
import type { Simulator } from '../../nextcloud-sim/index.js';
import { failure, startLibFixture } from '../../support/lib-fixture.js';
import type { ToolHarness } from '../../support/tool-harness.js';
import { toolHarness } from '../../support/tool-harness.js';

/** The SUMMARY of every VEVENT of stored calendar objects, in order, as the iCalendar model reads them. */
const storedSummaries = (objects: CalendarEvent[]) =>
  objects.flatMap((object) => parseCalendar(object.ics).getAllSubcomponents('vevent')).map((event) => textOf(event, 'summary'));

let sim: Simulator;
let nextcloud: Nextcloud;
let tools: ToolHarness;

beforeAll(async () => {
  ({ sim, nextcloud } = await startLibFixture());
  tools = toolHarness(nextcloud, sim.url);
});
afterAll(() => sim?.stop());

const tool = (name: string): Tool => {
  const found = calendarTools.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no tool ${name}`);
  return found;
};
const listCalendars = tool('calendar_list_calendars');
const listEvents = tool('calendar_list_events');
const getEvent = tool('calendar_get_event');
const createEvent = tool('calendar_create_event');
const updateEvent = tool('calendar_update_event');
const deleteEvent = tool('calendar_delete_event');

const DAY = 86_400_000;
/** The seed's dates are relative to the start of the current UTC day. */
const seedDay = (offset: number) => new Date(Math.floor(Date.now() / DAY) * DAY + offset * DAY).toISOString().slice(0, 10);
/** Wall-clock time of an ISO instant in a zone, e.g. "09:30". */
const wallTime = (iso: string, timeZone: string) =>
  new Date(iso).toLocaleTimeString('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

type Occurrence = {
  id: string;
  summary: string;
  start: string;
  end: string;
  timeZone?: string;
  allDay: boolean;
  recurring: boolean;
  occurrence?: string;
  etag: string;
  calendarId: string;
};
const eventsOf = (structured: Record<string, unknown> | undefined) => (structured?.events ?? []) as Occurrence[];

const BERLIN = `BEGIN:VTIMEZONE\r
TZID:Europe/Berlin\r
BEGIN:DAYLIGHT\r
TZOFFSETFROM:+0100\r
TZOFFSETTO:+0200\r
TZNAME:CEST\r
DTSTART:19700329T020000\r
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r
END:DAYLIGHT\r
BEGIN:STANDARD\r
TZOFFSETFROM:+0200\r
TZOFFSETTO:+0100\r
TZNAME:CET\r
DTSTART:19701025T030000\r
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r
END:STANDARD\r
END:VTIMEZONE\r
`;

/** A weekly series across the end of daylight saving time in 2027 (31 October), with what other clients add. */
const PLANNING = `BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Example Corp//Other Client//EN\r
${BERLIN}BEGIN:VEVENT\r
UID:planning-series\r
DTSTAMP:20270101T000000Z\r
DTSTART;TZID=Europe/Berlin:20271025T093000\r
DTEND;TZID=Europe/Berlin:20271025T100000\r
RRULE:FREQ=WEEKLY;COUNT=4\r
EXDATE;TZID=Europe/Berlin:20271108T093000\r
SUMMARY:Planning\r
LOCATION:Room 1\r
ORGANIZER;CN=Alice Liddell:mailto:alice@example.com\r
ATTENDEE;CN=Bob Builder;PARTSTAT=ACCEPTED;ROLE=REQ-PARTICIPANT:mailto:bob@example.com\r
X-CUSTOM-FLAG;X-PARAM=keep:do not lose me\r
BEGIN:VALARM\r
ACTION:DISPLAY\r
DESCRIPTION:Planning soon\r
TRIGGER:-PT15M\r
END:VALARM\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:planning-series\r
DTSTAMP:20270101T000000Z\r
RECURRENCE-ID;TZID=Europe/Berlin:20271115T093000\r
DTSTART;TZID=Europe/Berlin:20271115T110000\r
DTEND;TZID=Europe/Berlin:20271115T113000\r
SUMMARY:Planning (moved)\r
LOCATION:Room 1\r
END:VEVENT\r
END:VCALENDAR\r
`;

beforeAll(async () => {
  await nextcloud.as('alice').calendar.createEvent('personal', PLANNING, { fileName: 'planning.ics' });
});

describe('the tools themselves', () => {
  it('describe every argument, declare scopes and tell the truth about what they change', () => {
    expect(calendarTools.map((candidate) => candidate.name)).toEqual([
      'calendar_list_calendars',
      'calendar_list_events',
      'calendar_get_event',
      'calendar_create_event',
      'calendar_update_event',
      'calendar_delete_event',
    ]);
    for (const candidate of calendarTools) {
      for (const [field, schema] of Object.entries(candidate.input.shape))
        expect(schema.description, `${candidate.name}.${field}`).toBeTruthy();
      expect(candidate.annotations.openWorldHint).toBe(false);
      const reads = candidate.name.includes('_list_') || candidate.name.includes('_get_');
      expect(candidate.scopes).toEqual({ allOf: [reads ? 'calendar.read' : 'calendar.write'] });
      expect(candidate.annotations.readOnlyHint).toBe(reads);
    }
    expect(deleteEvent.annotations.destructiveHint).toBe(true);
    expect(createEvent.annotations).toMatchObject({ destructiveHint: false, idempotentHint: false });
  });
});

describe('calendar_list_calendars', () => {
  it("lists alice's calendars and bob's read-only share of her team calendar", async () => {
    const alice = await tools.call(listCalendars, {});
    expect(alice.isError).toBe(false);
    const own = alice.structured!.calendars as Array<Record<string, unknown>>;
    expect(own.map((calendar) => calendar.id).sort()).toEqual(['personal', 'team']);
    expect(own.find((calendar) => calendar.id === 'team')).toMatchObject({
      name: 'Team',
      readOnly: false,
      color: '#e9322d',
      components: ['VEVENT'],
    });
    expect(own.find((calendar) => calendar.id === 'team')).not.toHaveProperty('owner');
    expect(alice.audited).toEqual(['/remote.php/dav/calendars/alice/']);

    const bob = await tools.call(listCalendars, {}, { user: 'bob' });
    const shared = (bob.structured!.calendars as Array<Record<string, unknown>>).find((calendar) => calendar.id === 'team_shared_by_alice');
    expect(shared).toMatchObject({ name: 'Team (Alice Liddell)', readOnly: true, owner: 'alice' });
  });
});

describe('calendar_list_events', () => {
  it('expands the weekly standup into occurrences at 09:30 Berlin time, with offsets and the zone name', async () => {
    const { structured, isError, audited } = await tools.call(listEvents, { calendarId: 'personal', start: seedDay(0), end: seedDay(21) });
    expect(isError).toBe(false);
    const standups = eventsOf(structured).filter((event) => event.summary === 'Team standup');
    expect(standups.length).toBe(3);
    for (const standup of standups) {
      expect(standup).toMatchObject({ id: 'personal/standup.ics', timeZone: 'Europe/Berlin', allDay: false, recurring: true });
      expect(standup.start).toMatch(/T09:30:00\+0[12]:00$/);
      expect(wallTime(standup.start, 'Europe/Berlin')).toBe('09:30');
      expect(new Date(standup.end).getTime() - new Date(standup.start).getTime()).toBe(15 * 60_000);
      expect(standup.occurrence).toBe(standup.start);
    }
    expect(new Set(standups.map((standup) => standup.occurrence)).size).toBe(3);
    expect(standups[0]!.start.slice(0, 10)).toBe(seedDay(1));
    const dentist = eventsOf(structured).find((event) => event.summary === 'Dentist appointment')!;
    expect(dentist).toMatchObject({ id: 'personal/dentist.ics', timeZone: 'UTC', start: `${seedDay(3)}T14:00:00Z`, recurring: false });
    expect(dentist).not.toHaveProperty('occurrence');
    expect(dentist.etag).toMatch(/^".+"$/);
    const kickoff = eventsOf(structured).find((event) => event.summary === 'Project kickoff')!;
    expect(kickoff).toMatchObject({ allDay: true, start: seedDay(7), end: seedDay(8) });
    expect(kickoff).not.toHaveProperty('timeZone');
    expect(audited).toEqual(['/remote.php/dav/calendars/alice/personal/']);
    // Sorted by time.
    const starts = eventsOf(structured).map((event) => new Date(event.start).getTime());
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
  });

  it('follows the zone across a daylight saving change, skips excluded dates and shows changed occurrences', async () => {
    const { structured } = await tools.call(listEvents, {
      calendarId: 'personal',
      start: '2027-10-20',
      end: '2027-11-30',
      timeZone: 'Europe/Berlin',
    });
    const planning = eventsOf(structured).filter((event) => event.id === 'personal/planning.ics');
    expect(planning.map((event) => [event.summary, event.start, event.end])).toEqual([
      ['Planning', '2027-10-25T09:30:00+02:00', '2027-10-25T10:00:00+02:00'],
      ['Planning', '2027-11-01T09:30:00+01:00', '2027-11-01T10:00:00+01:00'],
      ['Planning (moved)', '2027-11-15T11:00:00+01:00', '2027-11-15T11:30:00+01:00'],
    ]);
    expect(planning[2]!.occurrence).toBe('2027-11-15T09:30:00+01:00');
    expect(planning.every((event) => event.recurring && event.timeZone === 'Europe/Berlin')).toBe(true);
  });

  it('reads zones as other clients write them (Windows names, no VTIMEZONE) and all-day series as dates', async () => {
    const calendar = nextcloud.as('carol').calendar;
    const object = (uid: string, lines: string[]) =>
      [
        'BEGIN:VCALENDAR',
        'VERSION:2.0',
        'PRODID:-//Example//Test//EN',
        'BEGIN:VEVENT',
        `UID:${uid}`,
        'DTSTAMP:20270101T000000Z',
        ...lines,
        'END:VEVENT',
        'END:VCALENDAR',
        '',
      ].join('\r\n');
    // Outlook names zones the Windows way and ships its own VTIMEZONE under that name.
    const outlook = object('outlook-1', [
      'DTSTART;TZID=W. Europe Standard Time:20270615T090000',
      'DTEND;TZID=W. Europe Standard Time:20270615T100000',
      'SUMMARY:From Outlook',
    ]).replace(
      'BEGIN:VEVENT',
      'BEGIN:VTIMEZONE\r\nTZID:W. Europe Standard Time\r\nBEGIN:STANDARD\r\nDTSTART:16010101T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\nDTSTART:16010101T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT',
    );
    await calendar.createEvent('personal', outlook, { fileName: 'outlook.ics' });
    await calendar.createEvent(
      'personal',
      object('bare-zone', ['DTSTART;TZID=America/Chicago:20270615T090000', 'DURATION:PT30M', 'SUMMARY:Bare zone']),
      { fileName: 'bare.ics' },
    );
    await calendar.createEvent(
      'personal',
      object('birthday', ['DTSTART;VALUE=DATE:20000616', 'DTEND;VALUE=DATE:20000617', 'RRULE:FREQ=YEARLY', 'SUMMARY:Birthday']),
      { fileName: 'birthday.ics' },
    );
    const listed = eventsOf(
      (await tools.call(listEvents, { calendarId: 'personal', start: '2027-06-15', end: '2027-06-16' }, { user: 'carol' })).structured,
    );
    expect(listed.map((event) => [event.summary, event.start, event.end, event.timeZone])).toEqual([
      ['From Outlook', '2027-06-15T09:00:00+02:00', '2027-06-15T10:00:00+02:00', 'Europe/Berlin'],
      ['Bare zone', '2027-06-15T09:00:00-05:00', '2027-06-15T09:30:00-05:00', 'America/Chicago'],
      ['Birthday', '2027-06-16', '2027-06-17', undefined],
    ]);
    expect(listed[2]).not.toHaveProperty('timeZone');
    expect(listed[2]).toMatchObject({ allDay: true, recurring: true, occurrence: '2027-06-16' });
  });

  it('gives every time in another zone when asked, at the same instants', async () => {
    const own = eventsOf((await tools.call(listEvents, { calendarId: 'personal', start: '2027-10-20', end: '2027-11-30' })).structured);
    const inNewYork = eventsOf(
      (await tools.call(listEvents, { calendarId: 'personal', start: '2027-10-20', end: '2027-11-30', timeZone: 'America/New_York' }))
        .structured,
    );
    const first = inNewYork.find((event) => event.id === 'personal/planning.ics')!;
    expect(first).toMatchObject({ timeZone: 'America/New_York', start: '2027-10-25T03:30:00-04:00' });
    expect(new Date(first.start).getTime()).toBe(new Date(own.find((event) => event.id === 'personal/planning.ics')!.start).getTime());
  });

  it('lists all calendars by default, including ones shared with the user, and honours limit', async () => {
    const bob = await tools.call(listEvents, { start: seedDay(0), end: seedDay(14) }, { user: 'bob' });
    const summaries = eventsOf(bob.structured).map((event) => `${event.calendarId}:${event.summary}`);
    expect(summaries).toEqual(expect.arrayContaining(['personal:Lunch with Alice', 'team_shared_by_alice:Team offsite']));
    expect(summaries.some((summary) => summary.includes('Dentist'))).toBe(false);
    expect(bob.structured!.calendars).toEqual(expect.arrayContaining(['personal', 'team_shared_by_alice']));
    const limited = await tools.call(listEvents, { start: seedDay(0), end: seedDay(21), limit: 2 });
    expect(eventsOf(limited.structured)).toHaveLength(2);
    expect(limited.structured!.truncated).toBe(true);
  });

  it('defaults to the next seven days', async () => {
    const { structured } = await tools.call(listEvents, {});
    const span = new Date(structured!.end as string).getTime() - new Date(structured!.start as string).getTime();
    expect(span).toBeGreaterThan(7 * DAY - 1000);
    expect(span).toBeLessThanOrEqual(7 * DAY);
    expect(eventsOf(structured).map((event) => event.summary)).toContain('Dentist appointment');
  });

  it('refuses ranges that end before they start or span more than a year, and malformed dates', async () => {
    const backwards = await tools.call(listEvents, { start: '2027-05-10', end: '2027-05-01' });
    expect(backwards.isError).toBe(true);
    expect(backwards.text).toContain('is not after start');
    const huge = await tools.call(listEvents, { start: '2027-01-01', end: '2029-01-01' });
    expect(huge.isError).toBe(true);
    expect(huge.text).toMatch(/at most 366 days/);
    const malformed = await tools.call(listEvents, { start: '2027-13-01' });
    expect(malformed.isError).toBe(true);
    expect(malformed.text).toContain('start: is not an ISO 8601 date');
    const unknown = await tools.call(listEvents, { calendarId: 'nope' });
    expect(unknown.isError).toBe(true);
    expect(unknown.text).toContain('alice has no calendar "nope"');
  });
});

describe('calendar_get_event', () => {
  it('gives the full details of a series: rule, exceptions, organizer, attendees, reminders', async () => {
    const { structured, isError, audited } = await tools.call(getEvent, { id: 'personal/planning.ics' });
    expect(isError).toBe(false);
    expect(structured).toMatchObject({
      id: 'personal/planning.ics',
      calendarId: 'personal',
      readOnly: false,
      uid: 'planning-series',
      summary: 'Planning',
      location: 'Room 1',
      start: '2027-10-25T09:30:00+02:00',
      end: '2027-10-25T10:00:00+02:00',
      timeZone: 'Europe/Berlin',
      organizer: { email: 'alice@example.com', name: 'Alice Liddell' },
      attendees: [{ email: 'bob@example.com', name: 'Bob Builder', role: 'REQ-PARTICIPANT', status: 'ACCEPTED' }],
      reminders: 1,
      recurrence: {
        rule: 'FREQ=WEEKLY;COUNT=4',
        excludedDates: ['2027-11-08T09:30:00+01:00'],
        changedOccurrences: [{ occurrence: '2027-11-15T09:30:00+01:00', start: '2027-11-15T11:00:00+01:00', summary: 'Planning (moved)' }],
      },
    });
    expect(structured!.etag).toMatch(/^".+"$/);
    expect(audited).toEqual(['/remote.php/dav/calendars/alice/personal/planning.ics']);
  });

  it('reads an all-day event as dates and a single event without recurrence', async () => {
    const { structured } = await tools.call(getEvent, { id: 'personal/kickoff.ics' });
    expect(structured).toMatchObject({
      allDay: true,
      start: seedDay(7),
      end: seedDay(8),
      description: 'Kickoff of the new project, all day.',
    });
    expect(structured).not.toHaveProperty('timeZone');
    expect(structured).not.toHaveProperty('recurrence');
  });

  it('reports a missing event in words', async () => {
    const missing = await tools.call(getEvent, { id: 'personal/nothing-here.ics' });
    expect(missing.isError).toBe(true);
    expect(missing.text).toContain("event 'personal/nothing-here.ics' does not exist in alice's calendars");
  });
});

describe('calendar_create_event', () => {
  it('creates a zoned event with a VTIMEZONE, a fresh UID and the duration asked for', async () => {
    const created = await tools.call(createEvent, {
      summary: 'Budget review',
      start: '2027-03-10T14:00',
      duration: 'PT90M',
      timeZone: 'Europe/Berlin',
      location: 'Room 7',
      description: 'Bring the numbers.',
    });
    expect(created.isError).toBe(false);
    expect(created.structured).toMatchObject({
      calendarId: 'personal',
      summary: 'Budget review',
      start: '2027-03-10T14:00:00+01:00',
      end: '2027-03-10T15:30:00+01:00',
      timeZone: 'Europe/Berlin',
      location: 'Room 7',
      description: 'Bring the numbers.',
      allDay: false,
    });
    const id = created.structured!.id as string;
    const uid = created.structured!.uid as string;
    expect(id).toBe(`personal/${uid}.ics`);
    expect(uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.audited).toEqual([`/remote.php/dav/calendars/alice/personal/${uid}.ics`]);
    const stored = await nextcloud.as('alice').calendar.getEvent(`${sim.url}/remote.php/dav/calendars/alice/personal/${uid}.ics`);
    expect(stored.ics).toContain('DTSTART;TZID=Europe/Berlin:20270310T140000');
    expect(stored.ics).toContain('DTEND;TZID=Europe/Berlin:20270310T153000');
    expect(stored.ics).toMatch(/BEGIN:VTIMEZONE\r\nTZID:Europe\/Berlin/);
    expect(stored.etag).toBe(created.structured!.etag);
    const listed = eventsOf((await tools.call(listEvents, { start: '2027-03-10', end: '2027-03-10' })).structured);
    expect(listed.map((event) => event.id)).toContain(id);
  });

  it('creates all-day events as dates and stores offset times in UTC without a zone', async () => {
    const allDay = await tools.call(createEvent, { calendarId: 'team', summary: 'Company holiday', start: '2027-04-01' });
    expect(allDay.structured).toMatchObject({ calendarId: 'team', allDay: true, start: '2027-04-01', end: '2027-04-02' });
    expect(allDay.structured).not.toHaveProperty('timeZone');
    const raw = await nextcloud
      .as('alice')
      .calendar.getEvent(`${sim.url}/remote.php/dav/calendars/alice/team/${allDay.structured!.uid as string}.ics`);
    expect(raw.ics).toContain('DTSTART;VALUE=DATE:20270401');
    expect(raw.ics).not.toContain('VTIMEZONE');

    const utc = await tools.call(createEvent, {
      summary: 'Call with Sydney',
      start: '2027-03-11T09:00:00+02:00',
      end: '2027-03-11T09:45:00+02:00',
    });
    expect(utc.structured).toMatchObject({ start: '2027-03-11T07:00:00Z', end: '2027-03-11T07:45:00Z', timeZone: 'UTC' });
  });

  it('refuses an end before the start, an unknown zone and a time without offset or zone, with the fix in the message', async () => {
    const backwards = await tools.call(createEvent, { summary: 'x', start: '2027-03-10T14:00:00Z', end: '2027-03-10T13:00:00Z' });
    expect(backwards).toMatchObject({ isError: true });
    expect(backwards.text).toContain('end (2027-03-10T13:00:00Z) is not after start (2027-03-10T14:00:00Z)');
    const zone = await tools.call(createEvent, { summary: 'x', start: '2027-03-10T14:00', timeZone: 'Mars/Olympus_Mons' });
    expect(zone.isError).toBe(true);
    expect(zone.text).toMatch(/timeZone: is not a time zone Nextcloud knows; use an IANA time zone name such as Europe\/Berlin/);
    const floating = await tools.call(createEvent, { summary: 'x', start: '2027-03-10T14:00' });
    expect(floating.isError).toBe(true);
    expect(floating.text).toContain('has no UTC offset and no time zone is given');
    const inclusive = await tools.call(createEvent, { summary: 'x', start: '2027-04-01', end: '2027-04-01' });
    expect(inclusive.isError).toBe(true);
    expect(inclusive.text).toContain('a one-day event on 2027-04-01 has end 2027-04-02');
    const both = await tools.call(createEvent, { summary: 'x', start: '2027-03-10T14:00Z', end: '2027-03-10T15:00Z', duration: 'PT1H' });
    expect(both.text).toContain('give end or duration, not both');
    const duration = await tools.call(createEvent, { summary: 'x', start: '2027-03-10T14:00Z', duration: '90 minutes' });
    expect(duration.text).toContain('is not an ISO 8601 duration');
    const events = await nextcloud
      .as('alice')
      .calendar.events('personal', { start: new Date('2027-03-10T00:00:00Z'), end: new Date('2027-03-11T00:00:00Z') });
    expect(storedSummaries(events)).not.toContain('x');
  });
});

describe('calendar_update_event', () => {
  it('asks before changing or deleting an event with attendees, whom Nextcloud emails, and not otherwise', async () => {
    const context: ToolContext = {
      user: nextcloud.as('alice'),
      userId: 'alice',
      clientId: 'test-client',
      scopes: ['calendar.read', 'calendar.write'],
      policy: DEFAULT_POLICY,
      webRoot: sim.url,
      signal: new AbortController().signal,
      progress: async () => undefined,
      audit: () => undefined,
    };
    const plan = (tool: Tool, input: Record<string, unknown>) => tool.plan!(tool.input.parse(input), context);
    expect(await plan(updateEvent, { id: 'personal/planning.ics', etag: 'x', location: 'Room 3' })).toMatch(
      /^Changes the event personal\/planning\.ics in the calendar "Personal"\. The event has 1 attendee: Nextcloud emails them/,
    );
    expect(await plan(updateEvent, { id: 'personal/dentist.ics', etag: 'x', location: 'Room 3' })).toBeNull();
    expect(await plan(deleteEvent, { id: 'personal/planning.ics' })).toContain('The event has 1 attendee: Nextcloud emails them');
    expect(await plan(deleteEvent, { id: 'personal/dentist.ics' })).not.toContain('attendee');
  });

  it('changes only the given fields and keeps attendees, alarms, X- properties and changed occurrences', async () => {
    const before = await tools.call(getEvent, { id: 'personal/planning.ics' });
    const etag = before.structured!.etag as string;
    const updated = await tools.call(updateEvent, { id: 'personal/planning.ics', etag, summary: 'Planning (renamed)', location: 'Room 2' });
    expect(updated.isError).toBe(false);
    expect(updated.structured).toMatchObject({
      summary: 'Planning (renamed)',
      location: 'Room 2',
      start: '2027-10-25T09:30:00+02:00',
      attendees: [{ email: 'bob@example.com', status: 'ACCEPTED' }],
    });
    expect(updated.structured!.etag).not.toBe(etag);
    expect(updated.audited).toEqual(['/remote.php/dav/calendars/alice/personal/planning.ics']);

    const raw = (
      await nextcloud.as('alice').calendar.getEvent(`${sim.url}/remote.php/dav/calendars/alice/personal/planning.ics`)
    ).ics.replace(/\r\n[ \t]/g, '');
    expect(raw).toContain('ATTENDEE;CN=Bob Builder;PARTSTAT=ACCEPTED;ROLE=REQ-PARTICIPANT:mailto:bob@example.com');
    expect(raw).toContain('X-CUSTOM-FLAG;X-PARAM=keep:do not lose me');
    expect(raw).toContain('TRIGGER:-PT15M');
    expect(raw).toContain('EXDATE;TZID=Europe/Berlin:20271108T093000');
    expect(raw).toContain('RRULE:FREQ=WEEKLY;COUNT=4');
    expect(raw).toContain('PRODID:-//Example Corp//Other Client//EN');
    // The changed occurrence keeps its own title and follows the series' location it shared.
    expect(raw).toContain('SUMMARY:Planning (moved)');
    expect(raw.match(/LOCATION:Room 2/g)).toHaveLength(2);
    expect(raw).not.toContain('Room 1');

    const stale = await tools.call(updateEvent, { id: 'personal/planning.ics', etag, summary: 'Lost update' });
    expect(stale.isError).toBe(true);
    expect(stale.text).toContain('the event changed since you read it; get it again');
    expect(
      storedSummaries([
        await nextcloud.as('alice').calendar.getEvent(`${sim.url}/remote.php/dav/calendars/alice/personal/planning.ics`),
      ])[0],
    ).toBe('Planning (renamed)');
  });

  it('answers a stale etag with the same advice when Nextcloud itself refuses the write', async () => {
    const created = await tools.call(createEvent, { summary: 'Race', start: '2027-06-01T10:00:00Z' });
    const id = created.structured!.id as string;
    const url = `${sim.url}/remote.php/dav/calendars/alice/${id}`;
    // Another client changes the event between our read and our write: the etag given is the fresh one, so only
    // the precondition on the PUT can catch it.
    const calendar = nextcloud.as('alice').calendar;
    const original = calendar.getEvent.bind(calendar);
    let raced = false;
    calendar.getEvent = async (target: string) => {
      const read = await original(target);
      if (!raced && target === url) {
        raced = true;
        await calendar.updateEvent(url, read.ics.replace('SUMMARY:Race', 'SUMMARY:Changed elsewhere'), read.etag!);
      }
      return read;
    };
    const harness = toolHarness(
      { ...nextcloud, as: (user: string) => (user === 'alice' ? { ...nextcloud.as('alice'), calendar } : nextcloud.as(user)) },
      sim.url,
    );
    const result = await harness.call(updateEvent, { id, etag: created.structured!.etag, summary: 'Mine' });
    expect(raced).toBe(true);
    expect(result.isError).toBe(true);
    expect(result.text).toBe('the event changed since you read it; get it again with calendar_get_event and retry with its new etag.');
    expect(storedSummaries([await original(url)])[0]).toBe('Changed elsewhere');
  });

  it('moves an event keeping its length, re-expresses it in another zone, and clears fields with null', async () => {
    const created = await tools.call(createEvent, {
      summary: 'Workshop',
      start: '2027-05-03T10:00',
      end: '2027-05-03T12:00',
      timeZone: 'Europe/Berlin',
      location: 'Lab',
    });
    const id = created.structured!.id as string;
    const moved = await tools.call(updateEvent, { id, etag: created.structured!.etag, start: '2027-05-04T14:00' });
    expect(moved.structured).toMatchObject({
      start: '2027-05-04T14:00:00+02:00',
      end: '2027-05-04T16:00:00+02:00',
      timeZone: 'Europe/Berlin',
      summary: 'Workshop',
      location: 'Lab',
    });
    const rezoned = await tools.call(updateEvent, { id, etag: moved.structured!.etag, timeZone: 'Europe/London', location: null });
    expect(rezoned.structured).toMatchObject({
      start: '2027-05-04T13:00:00+01:00',
      end: '2027-05-04T15:00:00+01:00',
      timeZone: 'Europe/London',
    });
    expect(rezoned.structured).not.toHaveProperty('location');
    const raw = (await nextcloud.as('alice').calendar.getEvent(`${sim.url}/remote.php/dav/calendars/alice/${id}`)).ics;
    expect(raw).toContain('DTSTART;TZID=Europe/London:20270504T130000');
    expect(raw).toContain('TZID:Europe/London');
    expect(raw).toContain('SEQUENCE:2');
    expect(raw).not.toContain('LOCATION');
    const allDay = await tools.call(updateEvent, { id, etag: rezoned.structured!.etag, allDay: true });
    expect(allDay.structured).toMatchObject({ allDay: true, start: '2027-05-04', end: '2027-05-05' });
    expect(allDay.structured).not.toHaveProperty('timeZone');
  });

  it('refuses to move a series whose exceptions are tied to its times, and refuses empty or malformed changes', async () => {
    const etag = (await tools.call(getEvent, { id: 'personal/planning.ics' })).structured!.etag;
    const move = await tools.call(updateEvent, { id: 'personal/planning.ics', etag, start: '2027-10-25T10:00' });
    expect(move.isError).toBe(true);
    expect(move.text).toContain('repeats with 2 changed, added or excluded occurrence(s)');
    const nothing = await tools.call(updateEvent, { id: 'personal/planning.ics', etag });
    expect(nothing.text).toContain('nothing to change');
    const noEtag = await tools.call(updateEvent, { id: 'personal/planning.ics', summary: 'x' });
    expect(noEtag.isError).toBe(true);
    expect(noEtag.text).toContain('etag');
    const backwards = await tools.call(updateEvent, {
      id: 'personal/dentist.ics',
      etag: (await tools.call(getEvent, { id: 'personal/dentist.ics' })).structured!.etag,
      end: `${seedDay(3)}T13:00:00Z`,
    });
    expect(backwards.isError).toBe(true);
    expect(backwards.text).toContain('is not after start');
    expect((await tools.call(getEvent, { id: 'personal/planning.ics' })).structured!.etag).toBe(etag);
  });
});

describe('calendar_delete_event', () => {
  it('deletes with the current etag and refuses a stale one', async () => {
    const created = await tools.call(createEvent, { summary: 'Temporary', start: '2027-07-01T08:00:00Z' });
    const id = created.structured!.id as string;
    const renamed = await tools.call(updateEvent, { id, etag: created.structured!.etag, summary: 'Temporary (v2)' });
    const stale = await tools.call(deleteEvent, { id, etag: created.structured!.etag });
    expect(stale.isError).toBe(true);
    expect(stale.text).toContain('the event changed since you read it');
    expect((await tools.call(getEvent, { id })).isError).toBe(false);
    const deleted = await tools.call(deleteEvent, { id, etag: renamed.structured!.etag });
    expect(deleted.structured).toEqual({ deleted: true, id, summary: 'Temporary (v2)', calendarId: 'personal' });
    expect(deleted.audited).toEqual([`/remote.php/dav/calendars/alice/${id}`]);
    const gone = await tools.call(getEvent, { id });
    expect(gone.isError).toBe(true);
    expect(gone.text).toContain('does not exist');
    const again = await tools.call(deleteEvent, { id });
    expect(again.text).toContain('does not exist');
  });
});

describe('read-only shares', () => {
  it("let bob read alice's team calendar and refuse his changes there with the calendar's name", async () => {
    const listed = eventsOf(
      (await tools.call(listEvents, { calendarId: 'team_shared_by_alice', start: seedDay(0), end: seedDay(14) }, { user: 'bob' }))
        .structured,
    );
    const offsite = listed.find((event) => event.summary === 'Team offsite')!;
    expect(offsite).toMatchObject({ id: 'team_shared_by_alice/offsite.ics', calendarName: 'Team (Alice Liddell)', timeZone: 'UTC' });
    const details = await tools.call(getEvent, { id: offsite.id }, { user: 'bob' });
    expect(details.structured).toMatchObject({ summary: 'Team offsite', readOnly: true, location: 'Lakeside lodge' });

    const refusal = "calendar 'Team (Alice Liddell)' is shared with bob read-only";
    const create = await tools.call(
      createEvent,
      { calendarId: 'team_shared_by_alice', summary: 'Sneaky', start: '2027-01-05T10:00:00Z' },
      { user: 'bob' },
    );
    const update = await tools.call(updateEvent, { id: offsite.id, etag: offsite.etag, summary: 'Cancelled!' }, { user: 'bob' });
    const remove = await tools.call(deleteEvent, { id: offsite.id }, { user: 'bob' });
    for (const result of [create, update, remove]) {
      expect(result.isError).toBe(true);
      expect(result.text).toContain(refusal);
    }
    const byName = await tools.call(
      createEvent,
      { calendarId: 'Team (Alice Liddell)', summary: 'Sneaky', start: '2027-01-05T10:00:00Z' },
      { user: 'bob' },
    );
    expect(byName.text).toContain(refusal);
    const alice = await nextcloud.as('alice').calendar.getEvent(`${sim.url}/remote.php/dav/calendars/alice/team/offsite.ics`);
    expect(storedSummaries([alice])[0]).toBe('Team offsite');
    expect(eventsOf((await tools.call(listEvents, { calendarId: 'team', start: '2027-01-05', end: '2027-01-05' })).structured)).toEqual([]);
  });
});

describe('event ids', () => {
  it("never reach another user's calendar, however they are crafted", async () => {
    const crafted = [
      'personal/dentist.ics', // bob's own personal calendar, which has no such event
      'team/offsite.ics', // alice's id for her calendar; bob only has it as team_shared_by_alice
      'alice/personal/dentist.ics',
      '../alice/personal/dentist.ics',
      'personal/../../alice/personal/dentist.ics',
      'personal/..',
      'personal/%2e%2e%2f%2e%2e%2falice%2fpersonal%2fdentist.ics',
      `${sim.url}/remote.php/dav/calendars/alice/personal/dentist.ics`,
      '/remote.php/dav/calendars/alice/personal/dentist.ics',
      'personal\\..\\..\\alice\\personal\\dentist.ics',
    ];
    for (const id of crafted) {
      for (const [target, args] of [
        [getEvent, { id }],
        [updateEvent, { id, etag: '"x"', summary: 'Hacked' }],
        [deleteEvent, { id }],
      ] as const) {
        const result = await tools.call(target, args, { user: 'bob' });
        expect(result.isError, `${target.name} ${id}`).toBe(true);
        expect(result.text, `${target.name} ${id}`).toMatch(/does not exist|is not an event id|has no calendar/);
        for (const path of result.audited) expect(path.startsWith('/remote.php/dav/calendars/bob/'), path).toBe(true);
      }
    }
    expect((await tools.call(getEvent, { id: 'personal/dentist.ics' })).structured).toMatchObject({ summary: 'Dentist appointment' });
    const carol = await tools.call(getEvent, { id: 'team_shared_by_alice/offsite.ics' }, { user: 'carol' });
    expect(carol.text).toContain('carol has no calendar "team_shared_by_alice"');
    const listing = await tools.call(listEvents, { calendarId: 'personal', start: seedDay(0), end: seedDay(14) }, { user: 'carol' });
    expect(eventsOf(listing.structured).map((event) => event.summary)).toEqual(['Intern onboarding']);
  });

  it("the events lib cannot be pointed at another user's calendar either", async () => {
    const refused = await failure(nextcloud.as('bob').calendar.getEvent(`${sim.url}/remote.php/dav/calendars/alice/personal/dentist.ics`));
    expect(refused.code).toBe('not_found');
  });
});

describe('private and confidential events of a shared calendar', () => {
  const window = { start: seedDay(0), end: seedDay(30) };

  it("hide alice's private event from bob and give him her confidential one as busy time only", async () => {
    const listed = await tools.call(listEvents, { calendarId: 'team_shared_by_alice', ...window }, { user: 'bob' });
    expect(listed.isError).toBe(false);
    const events = eventsOf(listed.structured);
    expect(events.map((event) => event.id)).toContain('team_shared_by_alice/offsite.ics');
    expect(events.map((event) => event.id)).not.toContain('team_shared_by_alice/appraisal.ics');
    const physio = events.find((event) => event.id === 'team_shared_by_alice/physio.ics')!;
    expect(physio).toMatchObject({ summary: 'Busy', start: `${seedDay(13)}T14:00:00Z`, end: `${seedDay(13)}T15:00:00Z`, allDay: false });
    expect(physio).not.toHaveProperty('location');
    expect(physio).not.toHaveProperty('description');
    for (const secret of ['appraisal', 'pay rise', 'Physiotherapy', 'Back clinic', 'knee']) expect(listed.text).not.toContain(secret);

    const everywhere = await tools.call(listEvents, window, { user: 'bob' });
    expect(eventsOf(everywhere.structured).map((event) => event.summary)).not.toContain('Performance appraisal');
    expect(JSON.stringify(everywhere.structured)).not.toMatch(/appraisal|Physiotherapy|Back clinic/);

    const details = await tools.call(getEvent, { id: physio.id }, { user: 'bob' });
    expect(details.structured).toMatchObject({ summary: 'Busy', visibility: 'CONFIDENTIAL', categories: [], reminders: 0, readOnly: true });
    for (const field of ['location', 'description', 'lastModified']) expect(details.structured).not.toHaveProperty(field);
    const hidden = await tools.call(getEvent, { id: 'team_shared_by_alice/appraisal.ics' }, { user: 'bob' });
    expect(hidden.isError).toBe(true);
    expect(hidden.text).toMatch(/does not exist/);
    expect(hidden.text).not.toContain('Performance appraisal');
  });

  it('show both to alice, who owns the calendar, in full', async () => {
    const events = eventsOf((await tools.call(listEvents, { calendarId: 'team', ...window })).structured);
    expect(events.find((event) => event.id === 'team/appraisal.ics')).toMatchObject({
      summary: 'Performance appraisal',
      location: 'Meeting room 4',
    });
    expect(events.find((event) => event.id === 'team/physio.ics')).toMatchObject({ summary: 'Physiotherapy', location: 'Back clinic' });
    const physio = await tools.call(getEvent, { id: 'team/physio.ics' });
    expect(physio.structured).toMatchObject({
      summary: 'Physiotherapy',
      description: 'Bring the knee scans.',
      visibility: 'CONFIDENTIAL',
      categories: ['Health'],
      reminders: 1,
    });
    expect((await tools.call(getEvent, { id: 'team/appraisal.ics' })).structured).toMatchObject({ visibility: 'PRIVATE' });
  });
});
