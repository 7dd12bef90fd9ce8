import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { CalendarInfo } from '../../../lib/index.js';
import { ToolError, WELL_FORMED, defineTool } from '../tool.js';
import {
  TIME_ZONE_HINT,
  assertWritable,
  calendarIdInput,
  calendarPath,
  describeEvent,
  eventDetailsSchema,
  eventIdFor,
  findCalendar,
  holdsEvents,
  summaryInput,
  timeZoneInput,
} from './common.js';
import { ICAL, parseCalendar } from '../../../lib/ical.js';
import { ensureTimezone, nowUtc, planTiming, setTime } from './timing.js';

export const PRODID = '-//Nextcloud//MCP Gateway//EN';

/** The user's default calendar (personal, as Nextcloud creates it) if they may write to it, else their first writable one. */
function defaultCalendar(calendars: CalendarInfo[], userId: string): CalendarInfo {
  const writable = calendars.filter((calendar) => !calendar.readOnly && holdsEvents(calendar));
  const chosen = writable.find((calendar) => calendar.id === 'personal') ?? writable[0];
  if (!chosen) throw new ToolError('not_allowed', `${userId} has no calendar they may add events to.`);
  return chosen;
}

export const createEvent = defineTool({
  name: 'calendar_create_event',
  title: 'Create a calendar event',
  description:
    "Creates an event in one of the user's calendars (default: their personal calendar). " +
    'Give start as an ISO 8601 date-time with a UTC offset, or without one plus timeZone; give end or duration (default one hour). ' +
    'For an all-day event give start as a date (YYYY-MM-DD); end is then the day after the last day, or leave it out for one day. ' +
    'No invitations are sent. Returns the new event with its id and etag.',
  scopes: { allOf: ['calendar.write'] },
  input: z.object({
    calendarId: calendarIdInput
      .optional()
      .describe('Calendar id (or display name) from calendar_list_calendars. Default: the personal calendar.'),
    summary: summaryInput.describe('Title of the event.'),
    start: z
      .string()
      .trim()
      .max(40)
      .describe('Start: 2026-05-04T09:30 (with timeZone), 2026-05-04T09:30:00+02:00, or 2026-05-04 for an all-day event.'),
    end: z
      .string()
      .trim()
      .max(40)
      .optional()
      .describe('End, in the same form as start; for all-day events the day after the last day (exclusive). Leave out to use duration.'),
    duration: z
      .string()
      .trim()
      .max(40)
      .optional()
      .describe('Length instead of end, ISO 8601: PT30M, PT1H30M, P1D, P1W. Default PT1H (P1D for all-day events).'),
    allDay: z.boolean().optional().describe('All-day event (dates, no times). Default: true when start is a date alone.'),
    timeZone: timeZoneInput
      .optional()
      .describe(
        `Time zone the event is planned in, ${TIME_ZONE_HINT}. Times without an offset are read in it, and the event keeps it (a weekly meeting stays at 9:30 across daylight saving changes). Without it, times with an offset are stored in UTC. Not used for all-day events.`,
      ),
    location: z
      .string()
      .trim()
      .max(1000)
      .refine(...WELL_FORMED)
      .optional()
      .describe('Where it takes place: an address, a room, or a meeting link.'),
    description: z
      .string()
      .max(20_000)
      .refine(...WELL_FORMED)
      .optional()
      .describe('Notes or agenda, plain text.'),
  }),
  output: eventDetailsSchema,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async run(input, context) {
    const client = context.user.calendar;
    const calendar = input.calendarId
      ? await findCalendar(client, input.calendarId, context.userId)
      : defaultCalendar(await client.calendars(), context.userId);
    assertWritable(calendar, context.userId);
    const timing = planTiming(input);

    const uid = randomUUID();
    const vcalendar = new ICAL.Component(['vcalendar', [], []]);
    vcalendar.addPropertyWithValue('prodid', PRODID);
    vcalendar.addPropertyWithValue('version', '2.0');
    vcalendar.addPropertyWithValue('calscale', 'GREGORIAN');
    ensureTimezone(vcalendar, timing.zone);
    const event = new ICAL.Component('vevent');
    event.addPropertyWithValue('uid', uid);
    const now = nowUtc();
    for (const stamp of ['dtstamp', 'created', 'last-modified']) event.addPropertyWithValue(stamp, now.clone());
    event.addPropertyWithValue('sequence', 0);
    event.addPropertyWithValue('summary', input.summary);
    setTime(event, 'dtstart', timing.start, timing.zone);
    setTime(event, 'dtend', timing.end, timing.zone);
    if (input.location) event.addPropertyWithValue('location', input.location);
    if (input.description) event.addPropertyWithValue('description', input.description);
    vcalendar.addSubcomponent(event);
    const ics = vcalendar.toString();

    context.audit(`${calendarPath(calendar)}${uid}.ics`);
    const created = await client.createEvent(calendar, ics, { fileName: `${uid}.ics` });
    return { structured: describeEvent(parseCalendar(ics), { id: eventIdFor(calendar, created.url), calendar, etag: created.etag }) };
  },
});
