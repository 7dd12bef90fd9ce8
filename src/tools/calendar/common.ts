// What the calendar tools share: event ids and how they resolve, the calendar a call names, and the shapes
// events are described in.
//
// An event id is "<calendar id>/<object name>", e.g. "personal/3f2c...ics". It is resolved only among the
// calendars Nextcloud lists in the acting user's own calendar home, and the object name is one path segment,
// so no id reaches outside that home: another user's calendar is reachable only when Nextcloud itself shares it
// into this user's home (under its own id there, e.g. team_shared_by_alice), with Nextcloud's own rights.
import { z } from 'zod';
import type { CalendarClient, CalendarInfo } from '../../../lib/index.js';
import { isNextcloudError } from '../../../lib/index.js';
import { withoutMissing } from '../absent.js';
import type { ToolContext } from '../tool.js';
import { ToolError, WELL_FORMED, etagField } from '../tool.js';
import type { IcalComponent, IcalTime, Occurrence } from '../../../lib/ical.js';
import {
  addressOf,
  canonicalZone,
  eventsOf,
  instantOfTime,
  isRecurring,
  isoDate,
  isoInZone,
  param,
  parseCalendar,
  propTime,
  spanOf,
  textOf,
} from '../../../lib/ical.js';

export const TIME_ZONE_HINT = 'an IANA time zone name such as Europe/Berlin, America/New_York or UTC';

export const calendarIdInput = z
  .string()
  .trim()
  .min(1)
  .max(255)
  .refine(...WELL_FORMED);
export const eventIdInput = z
  .string()
  .trim()
  .min(3)
  .max(1024)
  .refine(...WELL_FORMED)
  .describe(
    'The event id as calendar_list_events or calendar_create_event returned it: "<calendar id>/<object name>", e.g. "personal/standup.ics".',
  );
/** An event's title. */
export const summaryInput = z
  .string()
  .trim()
  .min(1)
  .max(1000)
  .refine(...WELL_FORMED);

export const timeZoneInput = z
  .string()
  .trim()
  .max(64)
  .refine((value) => canonicalZone(value) !== null, { message: `is not a time zone Nextcloud knows; use ${TIME_ZONE_HINT}` });
export const etagInput = etagField('the calendar tools');

export const holdsEvents = (calendar: CalendarInfo) => calendar.components.length === 0 || calendar.components.includes('VEVENT');

export const ownerOf = (calendar: CalendarInfo) => calendar.ownerPrincipal?.replace(/\/$/, '').split('/').at(-1) ?? null;

export function calendarPath(calendar: CalendarInfo): string {
  return new URL(calendar.url).pathname;
}

/** The calendar a call names, by id or (when unambiguous) by display name, among the user's own listing. */
export async function findCalendar(client: CalendarClient, name: string, userId: string): Promise<CalendarInfo> {
  const all = await client.calendars();
  const byId = all.find((calendar) => calendar.id === name);
  const byName = all.filter((calendar) => calendar.displayName.toLowerCase() === name.toLowerCase());
  const calendar = byId ?? (byName.length === 1 ? byName[0] : undefined);
  if (!calendar) {
    const known = all.filter(holdsEvents).map((candidate) => `${candidate.id} (${candidate.displayName})`);
    throw new ToolError(
      'not_found',
      `${userId} has no calendar "${name}". Calendars: ${known.join(', ') || 'none'}; calendar_list_calendars lists them.`,
    );
  }
  return calendar;
}

export function assertWritable(calendar: CalendarInfo, userId: string): void {
  if (calendar.readOnly) {
    const owner = ownerOf(calendar);
    throw new ToolError(
      'not_allowed',
      `calendar '${calendar.displayName}' is shared with ${userId} read-only${owner && owner !== userId ? ` by ${owner}` : ''}; ${userId} cannot add, change or delete its events. Ask the owner for write access, or use one of ${userId}'s own calendars.`,
    );
  }
  if (!holdsEvents(calendar)) {
    throw new ToolError(
      'not_allowed',
      `calendar '${calendar.displayName}' does not hold events (it takes ${calendar.components.join(', ')}).`,
    );
  }
}

export interface ResolvedEvent {
  id: string;
  calendar: CalendarInfo;
  url: string;
  path: string;
}

/** An object name as it appears in an event id: one path segment of a calendar object. */
function objectName(name: string): string | null {
  if (name === '' || name === '.' || name === '..' || /[\u0000-\u001f\u007f/\\]/.test(name) || name.length > 512) return null;
  return name;
}

export function eventIdFor(calendar: CalendarInfo, url: string): string {
  const segment = new URL(url).pathname.replace(/\/$/, '').split('/').at(-1) ?? '';
  try {
    return `${calendar.id}/${decodeURIComponent(segment)}`;
  } catch {
    // A name another client wrote with a stray %: its raw form is what the server answers to.
    return `${calendar.id}/${segment}`;
  }
}

export async function resolveEvent(client: CalendarClient, id: string, userId: string): Promise<ResolvedEvent> {
  const slash = id.indexOf('/');
  const name = slash > 0 ? objectName(id.slice(slash + 1)) : null;
  if (slash <= 0 || name === null || /^[a-z][a-z0-9+.-]*:/i.test(id)) {
    throw new ToolError(
      'invalid_input',
      `"${id}" is not an event id. Event ids look like "personal/standup.ics" (calendar id, slash, object name) and come from calendar_list_events.`,
    );
  }
  const calendar = await findCalendar(client, id.slice(0, slash), userId);
  const url = new URL(encodeURIComponent(name), calendar.url.endsWith('/') ? calendar.url : `${calendar.url}/`).toString();
  return { id: `${calendar.id}/${name}`, calendar, url, path: new URL(url).pathname };
}

/** A missing event in the user's words instead of a bare 404. */
export function rewordMissing(error: unknown, id: string, userId: string): never {
  if (isNextcloudError(error, 'not_found'))
    throw new ToolError(
      'not_found',
      `event '${id}' does not exist in ${userId}'s calendars (it may have been deleted or moved); calendar_list_events shows the current ids.`,
    );
  throw error;
}

export const staleEvent = () =>
  new ToolError('conflict', 'the event changed since you read it; get it again with calendar_get_event and retry with its new etag.');

export function rewordStale(error: unknown): never {
  if (isNextcloudError(error, 'precondition_failed')) throw staleEvent();
  throw error;
}

// ---- output shapes

const timeFields = {
  start: z
    .string()
    .describe('Start: ISO 8601 with UTC offset (e.g. 2026-05-04T09:30:00+02:00), or a date (YYYY-MM-DD) for all-day events.'),
  end: z.string().describe('End, in the same form as start. For all-day events the day after the last day (exclusive), as in iCalendar.'),
  timeZone: z
    .string()
    .optional()
    .describe(
      'IANA time zone the times are given in (the zone the event was planned in unless another was asked for); absent for all-day events.',
    ),
  allDay: z.boolean(),
};

export const occurrenceSchema = z.object({
  id: z
    .string()
    .describe(
      'Event id for calendar_get_event, calendar_update_event and calendar_delete_event. For a recurring event it names the whole series.',
    ),
  calendarId: z.string(),
  calendarName: z.string(),
  etag: z.string().optional().describe('Version of the event; calendar_update_event needs it.'),
  uid: z.string().optional(),
  summary: z.string().optional(),
  location: z.string().optional(),
  description: z.string().optional().describe('The beginning of the description; calendar_get_event has all of it.'),
  ...timeFields,
  recurring: z.boolean().describe('Whether this is one occurrence of a repeating event.'),
  occurrence: z
    .string()
    .optional()
    .describe('For a repeating event: when this occurrence was due by its rule (ISO 8601), which tells occurrences apart.'),
  status: z.string().optional().describe('CONFIRMED, TENTATIVE or CANCELLED when the event says.'),
});
export type OccurrenceOutput = z.infer<typeof occurrenceSchema>;

const personSchema = z.object({ email: z.string(), name: z.string().optional() });

export const eventDetailsSchema = z.object({
  id: z.string().describe('Event id for calendar_update_event and calendar_delete_event.'),
  calendarId: z.string(),
  calendarName: z.string(),
  readOnly: z.boolean().describe('Whether the acting user may change or delete the event (false on calendars shared read-only).'),
  etag: z.string().optional().describe('Version of the event; pass it to calendar_update_event (and optionally calendar_delete_event).'),
  uid: z.string().optional(),
  summary: z.string().optional(),
  description: z.string().optional(),
  location: z.string().optional(),
  ...timeFields,
  status: z.string().optional(),
  visibility: z.string().optional().describe('PUBLIC, PRIVATE or CONFIDENTIAL (iCalendar CLASS) when set.'),
  categories: z.array(z.string()),
  url: z.string().optional().describe('A link the event carries (iCalendar URL), if any.'),
  organizer: personSchema.optional(),
  attendees: z.array(
    personSchema.extend({
      role: z.string().optional(),
      status: z.string().optional().describe('NEEDS-ACTION, ACCEPTED, DECLINED or TENTATIVE.'),
    }),
  ),
  recurrence: z
    .object({
      rule: z.string().optional().describe('The iCalendar RRULE, e.g. FREQ=WEEKLY;BYDAY=MO.'),
      excludedDates: z.array(z.string()),
      changedOccurrences: z.array(
        z.object({
          occurrence: z.string(),
          start: z.string(),
          end: z.string(),
          summary: z.string().optional(),
          status: z.string().optional(),
        }),
      ),
    })
    .optional()
    .describe('How the event repeats; absent for a single event. Changes through calendar_update_event apply to the whole series.'),
  reminders: z.number().int().describe('How many reminders (VALARM) the event has.'),
  created: z.string().optional(),
  lastModified: z.string().optional(),
});
export type EventDetails = z.infer<typeof eventDetailsSchema>;

function snippet(text: string | null, length = 200): string | null {
  if (!text) return null;
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > length ? `${flat.slice(0, length - 1)}…` : flat;
}

function times(
  span: { start: number; end: number; allDay: boolean; startDate: string | null; endDate: string | null; zone: string | null },
  presentIn?: string,
) {
  if (span.allDay) return { start: span.startDate!, end: span.endDate!, timeZone: null, allDay: true };
  const zone = presentIn ?? span.zone ?? 'UTC';
  return { start: isoInZone(span.start, zone), end: isoInZone(span.end, zone), timeZone: zone, allDay: false };
}

/**
 * A start or end for a line of text, read the way the structured fields give it: ISO 8601 with its UTC offset
 * followed by the IANA zone, so text and JSON never disagree; a date alone for all-day events.
 */
export function timeText(time: string, times: { timeZone?: string | null; allDay: boolean }): string {
  return times.allDay || !times.timeZone ? time : `${time} ${times.timeZone}`;
}

export function describeOccurrence(
  occurrence: Occurrence,
  base: { id: string; calendar: CalendarInfo; etag: string | null },
  presentIn?: string,
): OccurrenceOutput {
  const event = occurrence.event;
  return withoutMissing({
    id: base.id,
    calendarId: base.calendar.id,
    calendarName: base.calendar.displayName,
    etag: base.etag,
    uid: textOf(event, 'uid'),
    summary: textOf(event, 'summary'),
    location: textOf(event, 'location'),
    description: snippet(textOf(event, 'description')),
    ...times(occurrence, presentIn),
    recurring: occurrence.recurring,
    occurrence:
      occurrence.recurrenceId === null
        ? null
        : occurrence.allDay
          ? isoInZone(occurrence.recurrenceId, presentIn ?? 'UTC').slice(0, 10)
          : isoInZone(occurrence.recurrenceId, presentIn ?? occurrence.zone ?? 'UTC'),
    status: textOf(event, 'status'),
  });
}

function utcStamp(event: IcalComponent, name: string): string | null {
  const time = propTime(event, name);
  return time ? isoInZone(time.time.toJSDate().getTime(), 'UTC') : null;
}

/** Everything about one calendar object a person may want to know, from its series (or single) VEVENT. */
export function describeEvent(
  calendarObject: IcalComponent,
  base: { id: string; calendar: CalendarInfo; etag: string | null },
): EventDetails {
  const { master, overrides } = eventsOf(calendarObject);
  const event = master ?? overrides[0];
  if (!event) throw new ToolError('unsupported', `event '${base.id}' holds no VEVENT (it may be a task or a journal entry).`);
  const span = spanOf(event, 'UTC');
  if (!span) throw new ToolError('unsupported', `event '${base.id}' has no start time (DTSTART).`);
  const organizer = event.getFirstProperty('organizer');
  const recurring = isRecurring(master, overrides);
  const rule = master?.getFirstPropertyValue('rrule');
  return withoutMissing({
    id: base.id,
    calendarId: base.calendar.id,
    calendarName: base.calendar.displayName,
    readOnly: base.calendar.readOnly,
    etag: base.etag,
    uid: textOf(event, 'uid'),
    summary: textOf(event, 'summary'),
    description: textOf(event, 'description'),
    location: textOf(event, 'location'),
    ...times(span),
    status: textOf(event, 'status'),
    visibility: textOf(event, 'class'),
    categories: event.getAllProperties('categories').flatMap((property) => property.getValues().map(String)),
    url: textOf(event, 'url'),
    organizer: organizer ? withoutMissing({ email: addressOf(organizer.getFirstValue()), name: param(organizer, 'cn') }) : null,
    attendees: event.getAllProperties('attendee').map((attendee) =>
      withoutMissing({
        email: addressOf(attendee.getFirstValue()),
        name: param(attendee, 'cn'),
        role: param(attendee, 'role'),
        status: param(attendee, 'partstat'),
      }),
    ),
    recurrence: recurring
      ? withoutMissing({
          rule: rule ? String(rule) : null,
          excludedDates: (master?.getAllProperties('exdate') ?? []).flatMap((property) =>
            property.getValues().map((value) => {
              const time = value as IcalTime;
              const tzid = param(property, 'tzid');
              return time.isDate ? isoDate(time) : isoInZone(instantOfTime(time, tzid, 'UTC'), canonicalZone(tzid) ?? span.zone ?? 'UTC');
            }),
          ),
          changedOccurrences: overrides.flatMap((override) => {
            const changed = spanOf(override, 'UTC');
            const due = propTime(override, 'recurrence-id');
            if (!changed || !due) return [];
            const occurrence = due.time.isDate
              ? isoDate(due.time)
              : isoInZone(instantOfTime(due.time, due.tzid, 'UTC'), span.zone ?? 'UTC');
            const when = times(changed, span.zone ?? undefined);
            return [
              withoutMissing({
                occurrence,
                start: when.start,
                end: when.end,
                summary: textOf(override, 'summary'),
                status: textOf(override, 'status'),
              }),
            ];
          }),
        })
      : null,
    reminders: event.getAllSubcomponents('valarm').length,
    created: utcStamp(event, 'created'),
    lastModified: utcStamp(event, 'last-modified'),
  });
}

export const auditCalendar = (context: ToolContext, calendar: CalendarInfo) => context.audit(calendarPath(calendar));

/**
 * What Nextcloud's scheduling sends others when an event changes or goes: an organizer's event with attendees
 * emails each of them, an invitation the user accepted answers its organizer. Null when the event has no attendees.
 * An object that is not valid iCalendar has none that could be told.
 */
export function othersNotified(ics: string): string | null {
  let count: number;
  try {
    const { master, overrides } = eventsOf(parseCalendar(ics));
    const events = master ? [master, ...overrides] : overrides;
    count = new Set(events.flatMap((event) => event.getAllProperties('attendee').map((attendee) => String(attendee.getFirstValue())))).size;
  } catch {
    return null;
  }
  return count === 0
    ? null
    : `The event has ${count} attendee${count === 1 ? '' : 's'}: Nextcloud emails them (or, for an invitation, its organizer) about this.`;
}
