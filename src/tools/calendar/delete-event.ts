import { z } from 'zod';
import { withoutMissing } from '../absent.js';
import { headerEtag } from '../etag.js';
import { defineTool } from '../tool.js';
import { assertWritable, etagInput, eventIdInput, othersNotified, resolveEvent, rewordMissing, rewordStale } from './common.js';
import { eventsOf, parseCalendar, textOf } from '../../../lib/ical.js';

export const deleteEvent = defineTool({
  name: 'calendar_delete_event',
  title: 'Delete a calendar event',
  description:
    "Deletes an event (for a repeating event: the whole series). It goes to the calendar's trash bin in Nextcloud, from which the user can restore it in the Calendar app until the trash is emptied. " +
    'Give the etag from calendar_get_event or calendar_list_events to delete only the version you saw.',
  scopes: { allOf: ['calendar.write'] },
  input: z.object({
    id: eventIdInput,
    etag: etagInput
      .optional()
      .describe('The etag the event had when you read it; if given and the event changed since, nothing is deleted.'),
  }),
  output: z.object({
    deleted: z.literal(true),
    id: z.string(),
    summary: z.string().optional().describe('Title of the deleted event.'),
    calendarId: z.string(),
  }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  async plan(input, context) {
    const client = context.user.calendar;
    const target = await resolveEvent(client, input.id, context.userId);
    assertWritable(target.calendar, context.userId);
    const stored = await client.getEvent(target.url).catch((error: unknown) => rewordMissing(error, target.id, context.userId));
    const summary = summaryOf(stored.ics);
    const notified = othersNotified(stored.ics);
    return `Deletes the event ${summary ? `"${summary}"` : target.id} from the calendar "${target.calendar.displayName}" (a repeating event: the whole series). It goes to the calendar's trash bin in Nextcloud, from where it can be restored.${notified ? ` ${notified}` : ''}`;
  },
  async run(input, context) {
    const client = context.user.calendar;
    const target = await resolveEvent(client, input.id, context.userId);
    assertWritable(target.calendar, context.userId);
    context.audit(target.path);
    // Read first: a missing event is reported in the user's words, and the answer can name what was deleted.
    const stored = await client.getEvent(target.url).catch((error: unknown) => rewordMissing(error, target.id, context.userId));
    const summary = summaryOf(stored.ics);
    // The version read (and shown in the plan) is the one deleted: a change made since stops the delete.
    const etag = input.etag ?? stored.etag;
    await client.deleteEvent(target.url, etag ? headerEtag(etag) : undefined).catch((error: unknown) => rewordStale(error));
    return { structured: withoutMissing({ deleted: true as const, id: target.id, summary, calendarId: target.calendar.id }) };
  },
});

/** The event's title; null for an object that is not valid iCalendar (deleted all the same, just not named). */
function summaryOf(ics: string): string | null {
  try {
    const { master, overrides } = eventsOf(parseCalendar(ics));
    const first = master ?? overrides[0];
    return first ? textOf(first, 'summary') : null;
  } catch {
    return null;
  }
}
