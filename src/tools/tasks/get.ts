import { z } from 'zod';
import { READS_ONLY, defineTool } from '../tool.js';
import { describeTask, relatives, resolveTask, rewordTaskError, taskDetailsSchema, taskIdInput } from './common.js';

export const tasksGet = defineTool({
  name: 'tasks_get',
  title: 'Get a task',
  description:
    'Gets one task with all its details: whole description, due and start, priority, categories, completion, its parent task and the ids of its subtasks, and its etag, which tasks_update needs.',
  scopes: { allOf: ['tasks.read'] },
  input: z.object({ id: taskIdInput }),
  output: taskDetailsSchema,
  annotations: READS_ONLY,
  async run(input, context) {
    const target = await resolveTask(context.user, input.id, context.userId);
    context.audit(target.path);
    const task = await context.user.tasks
      .getTask(target.list, target.name)
      .catch((error: unknown) => rewordTaskError(error, target.id, context.userId));
    return { structured: describeTask(task, target.list, await relatives(context.user, task, target.list)) };
  },
});
