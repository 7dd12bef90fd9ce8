import { z } from 'zod';
import { READS_ONLY, ToolError, defineTool } from '../tool.js';
import { describeEvent, eventDetailsSchema, eventIdInput, resolveEvent, rewordMissing } from './common.js';
import type { IcalComponent } from '../../../lib/ical.js';
import { parseCalendar } from '../../../lib/ical.js';

export const getEvent = defineTool({
  name: 'calendar_get_event',
  title: 'Get a calendar event',
  description:
    'Gets one event with all its details: whole description, location, organizer and attendees with their answers, how it repeats (rule, excluded dates, changed occurrences), and its etag, which calendar_update_event needs. ' +
    'Times are ISO 8601 with UTC offset plus the IANA zone the event was planned in; all-day events have dates.',
  scopes: { allOf: ['calendar.read'] },
  input: z.object({ id: eventIdInput }),
  output: eventDetailsSchema,
  annotations: READS_ONLY,
  async run(input, context) {
    const event = await resolveEvent(context.user.calendar, input.id, context.userId);
    context.audit(event.path);
    const stored = await context.user.calendar
      .getEvent(event.url)
      .catch((error: unknown) => rewordMissing(error, event.id, context.userId));
    let parsed: IcalComponent;
    try {
      parsed = parseCalendar(stored.ics);
    } catch {
      throw new ToolError('unsupported', `event '${event.id}' is not valid iCalendar; open it in the Nextcloud Calendar app.`);
    }
    return { structured: describeEvent(parsed, { id: event.id, calendar: event.calendar, etag: stored.etag }) };
  },
});
