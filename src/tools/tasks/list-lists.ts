import { z } from 'zod';
import { withoutMissing } from '../absent.js';
import { READS_ONLY, defineTool } from '../tool.js';
import { ownerOf, taskLists } from './common.js';

export const tasksListLists = defineTool({
  name: 'tasks_list_lists',
  title: 'List task lists',
  description:
    "Lists the user's Nextcloud task lists (calendars that hold tasks): their own and those shared with them. Use the id with tasks_list and tasks_create. readOnly lists (shared read-only, Deck boards) can be read but not changed.",
  scopes: { allOf: ['tasks.read'] },
  input: z.object({}),
  output: z.object({
    lists: z.array(
      z.object({
        id: z.string().describe('List id for the other task tools.'),
        name: z.string().describe('Display name, as the Nextcloud Tasks app shows it.'),
        readOnly: z.boolean().describe('true when tasks cannot be created, changed or deleted there.'),
        owner: z.string().optional().describe('User id of the owner when the list is shared with the user; absent for their own.'),
        deck: z.boolean().describe('true for a Deck board shown as a task list.'),
        color: z.string().optional(),
      }),
    ),
  }),
  annotations: READS_ONLY,
  async run(_input, context) {
    context.audit(`/remote.php/dav/calendars/${encodeURIComponent(context.userId)}/`);
    const lists = await taskLists(context.user);
    return {
      structured: {
        lists: lists.map((list) => {
          const owner = ownerOf(list);
          return withoutMissing({
            id: list.id,
            name: list.displayName || list.id,
            readOnly: !list.writable,
            owner: owner && owner !== context.userId ? owner : null,
            deck: list.deck,
            color: list.color,
          });
        }),
      },
    };
  },
});
