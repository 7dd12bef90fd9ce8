import { z } from 'zod';
import type { CalendarInfo } from '../../../lib/index.js';
import { isNextcloudError } from '../../../lib/index.js';
import { READS_ONLY, ToolError, defineTool } from '../tool.js';
import {
  TIME_ZONE_HINT,
  calendarIdInput,
  calendarPath,
  describeOccurrence,
  eventIdFor,
  findCalendar,
  holdsEvents,
  occurrenceSchema,
  timeZoneInput,
} from './common.js';
import {
  addDays,
  canonicalZone,
  inputInstant,
  instantOf,
  isoInZone,
  occurrencesIn,
  parseCalendar,
  parseTimeInput,
} from '../../../lib/ical.js';

const DAY = 86_400_000;
/** A year and a day: enough for "this year", small enough that a daily series stays a readable list. */
const MAX_RANGE_DAYS = 366;

const timeInput = z
  .string()
  .trim()
  .max(40)
  .refine((value) => parseTimeInput(value) !== null, {
    message: 'is not an ISO 8601 date or date-time (e.g. 2026-05-04 or 2026-05-04T09:30:00+02:00)',
  });

export const listEvents = defineTool({
  name: 'calendar_list_events',
  title: 'List calendar events',
  description:
    "Lists the user's events in a time range, in one calendar or in all of them, with repeating events expanded into their occurrences. " +
    'Times come as ISO 8601 with their UTC offset plus the IANA time zone name; all-day events as dates. ' +
    `Without start and end it lists the next 7 days; a range may span at most ${MAX_RANGE_DAYS} days. ` +
    'Each event has an id for calendar_get_event (full details: attendees, whole description, recurrence rule), calendar_update_event and calendar_delete_event.',
  scopes: { allOf: ['calendar.read'] },
  input: z.object({
    calendarId: calendarIdInput
      .optional()
      .describe('Calendar id (or display name) from calendar_list_calendars. Omit to list events of all calendars.'),
    start: timeInput
      .optional()
      .describe(
        "Start of the range, ISO 8601: 2026-05-04 (that day's midnight) or 2026-05-04T09:00:00+02:00. Without an offset it is read in timeZone (UTC if none). Default: now.",
      ),
    end: timeInput
      .optional()
      .describe(
        'End of the range, ISO 8601. A date alone includes that whole day (2026-05-04 lists up to the end of May 4). Default: 7 days after start.',
      ),
    timeZone: timeZoneInput
      .optional()
      .describe(
        `Time zone to read start/end in and to give all times in, ${TIME_ZONE_HINT}. Default: each event in the zone it was planned in.`,
      ),
    limit: z.number().int().min(1).max(500).default(100).describe('Most occurrences to return, earliest first (default 100, at most 500).'),
  }),
  output: z.object({
    start: z.string().describe('The range searched, ISO 8601.'),
    end: z.string(),
    events: z.array(occurrenceSchema),
    truncated: z.boolean().describe('true when more occurrences fall in the range than limit: narrow the range or raise limit.'),
    calendars: z.array(z.string()).describe('Ids of the calendars searched.'),
    notes: z.array(z.string()).describe('Calendars or events that could not be read, if any.'),
  }),
  annotations: READS_ONLY,
  async run(input, context) {
    const zone = input.timeZone ? (canonicalZone(input.timeZone) ?? undefined) : undefined;
    const readIn = zone ?? 'UTC';
    const startInput = input.start ? parseTimeInput(input.start)! : null;
    const start = startInput ? inputInstant(startInput, readIn) : Date.now();
    const endInput = input.end ? parseTimeInput(input.end)! : null;
    const end = endInput
      ? endInput.kind === 'date'
        ? instantOf(addDays(endInput.wall, 1), readIn)
        : inputInstant(endInput, readIn)
      : start + 7 * DAY;
    if (end <= start)
      throw new ToolError(
        'invalid_input',
        `end (${isoInZone(end, readIn)}) is not after start (${isoInZone(start, readIn)}); give an end later than the start.`,
      );
    if (end - start > MAX_RANGE_DAYS * DAY)
      throw new ToolError(
        'invalid_input',
        `the range spans ${Math.ceil((end - start) / DAY)} days; list at most ${MAX_RANGE_DAYS} days at a time.`,
      );

    const client = context.user.calendar;
    let calendars: CalendarInfo[];
    if (input.calendarId) {
      const calendar = await findCalendar(client, input.calendarId, context.userId);
      if (!holdsEvents(calendar))
        throw new ToolError(
          'invalid_input',
          `calendar '${calendar.displayName}' holds no events (it takes ${calendar.components.join(', ')}).`,
        );
      calendars = [calendar];
    } else {
      calendars = (await client.calendars()).filter(holdsEvents);
    }

    const notes: string[] = [];
    const found: Array<{ at: number; summary: string; event: z.infer<typeof occurrenceSchema> }> = [];
    const results = await Promise.allSettled(
      calendars.map(async (calendar) => {
        context.audit(calendarPath(calendar));
        // A day wider on each side: all-day and floating events are placed in the asked zone here, while the
        // server places them in its own.
        return { calendar, objects: await client.events(calendar, { start: new Date(start - DAY), end: new Date(end + DAY) }) };
      }),
    );
    // One calendar that cannot be read is a note; none readable is a failure, never an empty week. (The calendar
    // list may come from the client's short-lived cache, so an outage shows here rather than when listing them.)
    const failures = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
    if (failures.length > 0 && failures.length === results.length)
      throw failures.find((reason) => !isNextcloudError(reason)) ?? failures[0];
    for (const [index, result] of results.entries()) {
      if (result.status === 'rejected') {
        if (!isNextcloudError(result.reason)) throw result.reason;
        notes.push(`calendar ${calendars[index]!.id} could not be read: ${(result.reason as Error).message}`);
        continue;
      }
      const { calendar, objects } = result.value;
      // Each object (a series with its changed occurrences) is read once, even if an answer lists it twice.
      const byUrl = new Map(objects.map((object) => [object.url, object]));
      for (const object of byUrl.values()) {
        const id = eventIdFor(calendar, object.url);
        try {
          const { occurrences, cutOff } = occurrencesIn(parseCalendar(object.ics), { start, end }, readIn);
          if (cutOff) notes.push(`event ${id} repeats too often to list every occurrence; only the first ones are shown`);
          for (const occurrence of occurrences) {
            found.push({
              at: occurrence.start,
              summary: occurrence.event.getFirstPropertyValue('summary')?.toString() ?? '',
              event: describeOccurrence(occurrence, { id, calendar, etag: object.etag }, zone),
            });
          }
        } catch (error) {
          if (error instanceof ToolError) throw error;
          notes.push(`event ${id} is not valid iCalendar and was skipped`);
        }
      }
    }
    found.sort((a, b) => a.at - b.at || a.summary.localeCompare(b.summary));
    return {
      structured: {
        start: isoInZone(start, readIn),
        end: isoInZone(end, readIn),
        events: found.slice(0, input.limit).map((entry) => entry.event),
        truncated: found.length > input.limit,
        calendars: calendars.map((calendar) => calendar.id),
        notes,
      },
    };
  },
});
