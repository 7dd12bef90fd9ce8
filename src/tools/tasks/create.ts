import { z } from 'zod';
import { ToolError, defineTool } from '../tool.js';
import {
  TIME_ZONE_TEXT,
  assertWritable,
  categoriesInput,
  defaultList,
  describeTask,
  descriptionInput,
  findList,
  listInput,
  listPath,
  resolveTask,
  rewordTaskError,
  taskDetailsSchema,
  taskIdInput,
  taskLists,
  taskTime,
  timeInput,
  timeZoneInput,
  titleInput,
} from './common.js';

export const tasksCreate = defineTool({
  name: 'tasks_create',
  title: 'Create a task',
  description:
    "Creates a task in one of the user's task lists (default: the parent's list, else their first writable list). " +
    'due and start are a date (YYYY-MM-DD) or a date-time with UTC offset (or without one plus timeZone). ' +
    'Give parentId to make it a subtask; an open subtask reopens a completed parent, as in the Nextcloud Tasks app. Returns the new task with its id and etag.',
  scopes: { allOf: ['tasks.write'] },
  input: z.object({
    list: listInput
      .optional()
      .describe("Task list id (or display name) from tasks_list_lists. Default: the parent's list, else the first writable list."),
    title: titleInput.describe('Title of the task.'),
    description: descriptionInput.optional().describe('Notes, plain text.'),
    due: timeInput.optional().describe('Due: 2026-05-04 (a day) or 2026-05-04T17:00:00+02:00.'),
    start: timeInput.optional().describe('Start, in the same form as due.'),
    timeZone: timeZoneInput.optional().describe(TIME_ZONE_TEXT),
    priority: z.number().int().min(1).max(9).optional().describe('1 (highest) to 9 (lowest): 1-4 high, 5 medium, 6-9 low.'),
    categories: categoriesInput.optional().describe('Tags of the task.'),
    parentId: taskIdInput.optional().describe('Task id of the parent task: the new task becomes its subtask, in the same list.'),
  }),
  output: taskDetailsSchema.extend({
    reopenedParent: z.boolean().describe('true when the parent was completed and has been reopened because of this open subtask.'),
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async run(input, context) {
    const user = context.user;
    const parent = input.parentId ? await resolveTask(user, input.parentId, context.userId) : null;
    const list = input.list
      ? await findList(user, input.list, context.userId)
      : (parent?.list ?? defaultList(await taskLists(user), context.userId));
    if (parent && parent.list.id !== list.id)
      throw new ToolError(
        'invalid_input',
        `a subtask belongs in its parent's list (${parent.list.id}); leave out list or give ${parent.list.id}.`,
      );
    assertWritable(list, context.userId);
    const fields = {
      summary: input.title,
      description: input.description,
      due: input.due === undefined ? undefined : taskTime(input.due, 'due', input.timeZone),
      start: input.start === undefined ? undefined : taskTime(input.start, 'start', input.timeZone),
      priority: input.priority,
      categories: input.categories,
      parent: parent?.name,
    };
    context.audit(listPath(list));
    const { task, reopenedParent } = await user.tasks
      .createTask(list, fields)
      .catch((error: unknown) => rewordTaskError(error, parent?.id ?? list.id, context.userId));
    return {
      structured: {
        ...describeTask(task, list, { parentId: parent?.id ?? null }),
        reopenedParent: reopenedParent !== null,
      },
    };
  },
});
