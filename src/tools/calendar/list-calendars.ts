import { z } from 'zod';
import { withoutMissing } from '../absent.js';
import { READS_ONLY, defineTool } from '../tool.js';
import { holdsEvents, ownerOf } from './common.js';

export const listCalendars = defineTool({
  name: 'calendar_list_calendars',
  title: 'List calendars',
  description:
    "Lists the user's Nextcloud calendars that hold events: their own and those shared with them. Use the id with calendar_list_events and calendar_create_event. readOnly calendars (shared read-only) can be read but not changed.",
  scopes: { allOf: ['calendar.read'] },
  input: z.object({
    includeAll: z
      .boolean()
      .default(false)
      .describe('Also list calendars that hold no events (task lists); their components tell what they hold. Default false.'),
  }),
  output: z.object({
    calendars: z.array(
      z.object({
        id: z.string().describe('Calendar id for the other calendar tools.'),
        name: z.string().describe('Display name, as the Nextcloud Calendar app shows it.'),
        readOnly: z
          .boolean()
          .describe('true when the calendar is shared with the user read-only: events cannot be created, changed or deleted there.'),
        owner: z
          .string()
          .optional()
          .describe('User id of the owner when the calendar is shared with the user by someone else; absent for their own.'),
        color: z.string().optional(),
        components: z.array(z.string()).describe('What the calendar holds: VEVENT (events), VTODO (tasks), VJOURNAL.'),
      }),
    ),
  }),
  annotations: READS_ONLY,
  async run(input, context) {
    context.audit(`/remote.php/dav/calendars/${encodeURIComponent(context.userId)}/`);
    const calendars = (await context.user.calendar.calendars()).filter((calendar) => input.includeAll || holdsEvents(calendar));
    return {
      structured: {
        calendars: calendars.map((calendar) => {
          const owner = ownerOf(calendar);
          return withoutMissing({
            id: calendar.id,
            name: calendar.displayName || calendar.id,
            readOnly: calendar.readOnly,
            owner: owner && owner !== context.userId ? owner : null,
            color: calendar.color,
            components: calendar.components,
          });
        }),
      },
    };
  },
});
