import { z } from 'zod';
import type { Task, TaskList } from '../../../lib/tasks.js';
import { withoutMissing } from '../absent.js';
import { READS_ONLY, WELL_FORMED, defineTool } from '../tool.js';
import { boundTime, describeSummary, findList, listInput, listPath, taskLists, taskSummarySchema, timeInput } from './common.js';

/** Due first (earliest first, none last), then priority (1 first, none last), then title. */
function order(a: Task, b: Task): number {
  const due = (a.due?.instant ?? Infinity) - (b.due?.instant ?? Infinity);
  if (due !== 0 && !Number.isNaN(due)) return due;
  const priority = (a.priority ?? 10) - (b.priority ?? 10);
  if (priority !== 0) return priority;
  return (a.summary ?? '').localeCompare(b.summary ?? '');
}

export const tasksList = defineTool({
  name: 'tasks_list',
  title: 'List tasks',
  description:
    "Lists tasks of one task list, or of all the user's task lists, sorted by due date then priority. By default only open tasks (neither completed nor cancelled). " +
    'Filters: status, due before/after, priority group, text in title, description, location or categories.',
  scopes: { allOf: ['tasks.read'] },
  input: z.object({
    list: listInput.optional().describe('Task list id (or display name) from tasks_list_lists. Default: every task list.'),
    status: z.enum(['open', 'completed', 'all']).default('open').describe('open (default), completed, or all (cancelled tasks only here).'),
    dueBefore: timeInput
      .optional()
      .describe(
        'Only tasks due before this ISO 8601 date or date-time (a date means its midnight UTC; a date-time without offset is read as UTC).',
      ),
    dueAfter: timeInput.optional().describe('Only tasks due at or after this ISO 8601 date or date-time.'),
    priority: z.enum(['high', 'medium', 'low', 'none']).optional().describe('Only this priority group: high 1-4, medium 5, low 6-9, none.'),
    text: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .refine(...WELL_FORMED)
      .optional()
      .describe('Only tasks containing this text (case-insensitive) in title, description, location or categories.'),
    limit: z.number().int().min(1).max(200).default(50).describe('At most this many tasks (default 50).'),
  }),
  output: z.object({
    tasks: z.array(taskSummarySchema),
    truncated: z.boolean().describe('true when more tasks matched than limit.'),
    unreadable: z.array(z.string()).optional().describe('Ids of objects in the lists that are not readable tasks (broken iCalendar).'),
  }),
  annotations: READS_ONLY,
  async run(input, context) {
    const user = context.user;
    const lists: TaskList[] = input.list ? [await findList(user, input.list, context.userId)] : await taskLists(user);
    const query = {
      status: input.status,
      dueBefore: input.dueBefore === undefined ? undefined : boundTime(input.dueBefore, 'dueBefore'),
      dueAfter: input.dueAfter === undefined ? undefined : boundTime(input.dueAfter, 'dueAfter'),
      priority: input.priority,
      text: input.text,
    };
    const found: Array<{ task: Task; list: TaskList }> = [];
    const unreadable: string[] = [];
    for (const list of lists) {
      context.audit(listPath(list));
      const listing = await user.tasks.tasks(list, query);
      found.push(...listing.tasks.map((task) => ({ task, list })));
      unreadable.push(...listing.unreadable.map((name) => `${list.id}/${name}`));
    }
    found.sort((a, b) => order(a.task, b.task));
    return {
      structured: withoutMissing({
        tasks: found.slice(0, input.limit).map(({ task, list }) => describeSummary(task, list)),
        truncated: found.length > input.limit,
        unreadable: unreadable.length > 0 ? unreadable : null,
      }),
    };
  },
});
