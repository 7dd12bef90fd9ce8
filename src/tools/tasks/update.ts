import { z } from 'zod';
import { headerEtag } from '../etag.js';
import { ToolError, defineTool, namedFieldsOnly } from '../tool.js';
import {
  TIME_ZONE_TEXT,
  assertWritable,
  categoriesInput,
  describeTask,
  descriptionInput,
  etagInput,
  relatives,
  resolveTask,
  rewordTaskError,
  taskDetailsSchema,
  taskIdInput,
  taskTime,
  timeInput,
  timeZoneInput,
  titleInput,
} from './common.js';

export const tasksUpdate = defineTool({
  name: 'tasks_update',
  title: 'Update a task',
  description:
    'Changes the given fields of a task and keeps everything else (reminders, repetition, properties of other apps). ' +
    'completed: true completes it (100 %, COMPLETED), false reopens it, as the Nextcloud Tasks app does. ' +
    'Needs the etag from tasks_get or tasks_list: if the task changed since, nothing is written and you are told to read it again. Returns the task with its new etag.',
  scopes: { allOf: ['tasks.write'] },
  input: z.object({
    id: taskIdInput,
    etag: etagInput.describe('The etag the task had when you read it (tasks_get or tasks_list).'),
    title: titleInput.optional().describe('New title.'),
    description: descriptionInput.nullable().optional().describe('New description (replaces the old one); null or empty removes it.'),
    due: timeInput.nullable().optional().describe('New due date or date-time (as in tasks_create); null removes it.'),
    start: timeInput.nullable().optional().describe('New start; null removes it.'),
    timeZone: timeZoneInput.optional().describe(TIME_ZONE_TEXT),
    priority: z.number().int().min(0).max(9).nullable().optional().describe('1 (highest) to 9 (lowest); 0 or null removes the priority.'),
    categories: categoriesInput.nullable().optional().describe('Replaces all categories; null or [] removes them.'),
    completed: z.boolean().optional().describe('true marks the task completed, false reopens it.'),
  }),
  output: taskDetailsSchema,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  plan: namedFieldsOnly,
  async run(input, context) {
    const target = await resolveTask(context.user, input.id, context.userId);
    assertWritable(target.list, context.userId);
    const time = (value: string | null | undefined, label: string) =>
      value === undefined ? undefined : value === null || value.trim() === '' ? null : taskTime(value, label, input.timeZone);
    const changes = Object.fromEntries(
      Object.entries({
        summary: input.title,
        description: input.description,
        due: time(input.due, 'due'),
        start: time(input.start, 'start'),
        priority: input.priority,
        categories: input.categories,
        completed: input.completed,
      }).filter(([, value]) => value !== undefined),
    );
    if (Object.keys(changes).length === 0)
      throw new ToolError(
        'invalid_input',
        'nothing to change: give at least one of title, description, due, start, priority, categories or completed.',
      );
    context.audit(target.path);
    const task = await context.user.tasks
      .updateTask(target.list, target.name, headerEtag(input.etag), changes)
      .catch((error: unknown) => rewordTaskError(error, target.id, context.userId));
    return { structured: describeTask(task, target.list, await relatives(context.user, task, target.list)) };
  },
});
