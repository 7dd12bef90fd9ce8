import { z } from 'zod';
import { headerEtag, sameEtag } from '../etag.js';
import { ToolError, WELL_FORMED, defineTool } from '../tool.js';
import {
  TIME_ZONE_HINT,
  assertWritable,
  describeEvent,
  etagInput,
  eventDetailsSchema,
  eventIdInput,
  othersNotified,
  resolveEvent,
  rewordMissing,
  rewordStale,
  staleEvent,
  summaryInput,
  timeZoneInput,
} from './common.js';
import type { IcalComponent } from '../../../lib/ical.js';
import { eventsOf, parseCalendar, spanOf, textOf } from '../../../lib/ical.js';
import { ensureTimezone, nowUtc, planTiming, setTime } from './timing.js';

const TEXT_FIELDS = ['summary', 'location', 'description'] as const;

export const updateEvent = defineTool({
  name: 'calendar_update_event',
  title: 'Update a calendar event',
  description:
    'Changes the given fields of an event and keeps everything else as it is (attendees, reminders, other properties). ' +
    'Needs the etag from calendar_get_event or calendar_list_events: if the event changed since, nothing is written and you are told to get it again. ' +
    'Moving the start keeps the length unless end or duration is given. For a repeating event the change applies to the whole series. ' +
    'Returns the updated event with its new etag.',
  scopes: { allOf: ['calendar.write'] },
  input: z.object({
    id: eventIdInput,
    etag: etagInput.describe('The etag the event had when you read it (calendar_get_event or calendar_list_events).'),
    summary: summaryInput.optional().describe('New title.'),
    start: z
      .string()
      .trim()
      .max(40)
      .optional()
      .describe(
        "New start, ISO 8601: 2026-05-04T09:30 (read in timeZone, else in the event's own zone), 2026-05-04T09:30:00+02:00, or a date for all-day events.",
      ),
    end: z.string().trim().max(40).optional().describe('New end, same form as start; for all-day events the day after the last day.'),
    duration: z.string().trim().max(40).optional().describe('New length instead of end, ISO 8601 (PT45M, PT2H, P1D).'),
    allDay: z
      .boolean()
      .optional()
      .describe('true makes it an all-day event (start then a date), false gives it times (start then a date-time).'),
    timeZone: timeZoneInput
      .optional()
      .describe(`Zone to plan the event in, ${TIME_ZONE_HINT}. Alone it keeps the event at the same moment and expresses it in this zone.`),
    location: z
      .string()
      .trim()
      .max(1000)
      .refine(...WELL_FORMED)
      .nullable()
      .optional()
      .describe('New location; null or an empty string removes it.'),
    description: z
      .string()
      .max(20_000)
      .refine(...WELL_FORMED)
      .nullable()
      .optional()
      .describe('New description (replaces the old one entirely); null or an empty string removes it.'),
  }),
  output: eventDetailsSchema,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  // Changes only the fields named, on an event the model has read; asked about only when it reaches other people.
  async plan(input, context) {
    const client = context.user.calendar;
    const target = await resolveEvent(client, input.id, context.userId);
    assertWritable(target.calendar, context.userId);
    const stored = await client.getEvent(target.url).catch((error: unknown) => rewordMissing(error, target.id, context.userId));
    const notified = othersNotified(stored.ics);
    return notified && `Changes the event ${target.id} in the calendar "${target.calendar.displayName}". ${notified}`;
  },
  async run(input, context) {
    const client = context.user.calendar;
    const target = await resolveEvent(client, input.id, context.userId);
    assertWritable(target.calendar, context.userId);
    const timingAsked = [input.start, input.end, input.duration, input.allDay, input.timeZone].some((value) => value !== undefined);
    const textAsked = TEXT_FIELDS.some((field) => input[field] !== undefined);
    if (!timingAsked && !textAsked)
      throw new ToolError(
        'invalid_input',
        'nothing to change: give at least one of summary, start, end, duration, allDay, timeZone, location or description.',
      );

    context.audit(target.path);
    const stored = await client.getEvent(target.url).catch((error: unknown) => rewordMissing(error, target.id, context.userId));
    const etag = headerEtag(input.etag);
    // Checked here too so that a stale change is refused before anything is computed from the newer version.
    if (stored.etag && !sameEtag(stored.etag, etag)) throw staleEvent();
    const calendar = parseCalendar(stored.ics);
    const { master, overrides } = eventsOf(calendar);
    if (!master)
      throw new ToolError(
        'unsupported',
        `event '${target.id}' holds only changed occurrences of a series kept elsewhere; change it in the Nextcloud Calendar app.`,
      );

    if (timingAsked) {
      const exceptions = overrides.length + master.getAllProperties('exdate').length + master.getAllProperties('rdate').length;
      if (exceptions > 0) {
        throw new ToolError(
          'unsupported',
          `event '${target.id}' repeats with ${exceptions} changed, added or excluded occurrence(s) tied to its current times; moving the series would detach them. Change its times in the Nextcloud Calendar app; summary, location and description can be changed here.`,
        );
      }
      const current = spanOf(master, 'UTC');
      if (!current) throw new ToolError('unsupported', `event '${target.id}' has no start time (DTSTART) to change.`);
      const timing = planTiming(input, current);
      setTime(master, 'dtstart', timing.start, timing.zone);
      master.removeAllProperties('duration');
      setTime(master, 'dtend', timing.end, timing.zone);
      ensureTimezone(calendar, timing.zone);
      // A new time is a significant revision (RFC 5545 3.8.7.4): calendars of attendees compare SEQUENCE.
      const sequence = Number(master.getFirstPropertyValue('sequence') ?? 0);
      master.updatePropertyWithValue('sequence', Number.isFinite(sequence) ? sequence + 1 : 1);
    }
    for (const field of TEXT_FIELDS) {
      const value = input[field];
      if (value === undefined) continue;
      const before = textOf(master, field);
      // Changed occurrences that still carry the series' old text follow it; ones given their own text keep it.
      for (const event of [master, ...overrides.filter((override) => textOf(override, field) === before)]) setText(event, field, value);
    }
    const now = nowUtc();
    for (const event of [master, ...overrides]) {
      event.updatePropertyWithValue('dtstamp', now.clone());
      event.updatePropertyWithValue('last-modified', now.clone());
    }

    const written = await client.updateEvent(target.url, calendar.toString(), etag).catch((error: unknown) => rewordStale(error));
    // Nextcloud leaves out the ETag when it changed the data on the way in; then its version is what counts.
    if (written.etag) return { structured: describeEvent(calendar, { id: target.id, calendar: target.calendar, etag: written.etag }) };
    const reread = await client.getEvent(target.url);
    return { structured: describeEvent(parseCalendar(reread.ics), { id: target.id, calendar: target.calendar, etag: reread.etag }) };
  },
});

function setText(event: IcalComponent, field: (typeof TEXT_FIELDS)[number], value: string | null): void {
  if (value === null || value === '') event.removeAllProperties(field);
  else event.updatePropertyWithValue(field, value);
}
