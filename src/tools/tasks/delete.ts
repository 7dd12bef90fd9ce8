import { z } from 'zod';
import { withoutMissing } from '../absent.js';
import { headerEtag } from '../etag.js';
import { defineTool } from '../tool.js';
import type { ToolContext } from '../tool.js';
import { assertWritable, etagInput, resolveTask, rewordTaskError, taskIdInput } from './common.js';

const input = z.object({
  id: taskIdInput,
  etag: etagInput.optional().describe('The etag the task had when you read it; if given and the task changed since, nothing is deleted.'),
});

const TRASH =
  "it goes to the calendar trash bin, from which it can be restored in the Nextcloud Calendar app's trash until the trash is emptied";

/** What deleting this task means, read before anything is deleted; refuses what the deletion would refuse. */
async function described(args: z.infer<typeof input>, context: ToolContext) {
  const target = await resolveTask(context.user, args.id, context.userId);
  assertWritable(target.list, context.userId);
  const task = await context.user.tasks
    .getTask(target.list, target.name)
    .catch((error: unknown) => rewordTaskError(error, target.id, context.userId));
  const subtasks = task.uid ? (await context.user.tasks.tasks(target.list, { status: 'all', parentUid: task.uid })).tasks.length : 0;
  const title = task.summary ? `"${task.summary}"` : `'${target.id}'`;
  const sentence =
    `Deletes the task ${title} from the list '${target.list.displayName || target.list.id}'; ${TRASH}.` +
    (subtasks > 0 ? ` Its ${subtasks} subtask(s) are not deleted; they lose their parent.` : '');
  return { target, task, sentence };
}

export const tasksDelete = defineTool({
  name: 'tasks_delete',
  title: 'Delete a task',
  description:
    'Deletes one task. It goes to the calendar trash bin in Nextcloud, from which the user can restore it until the trash is emptied. Its subtasks are kept. ' +
    'Give the etag from tasks_get or tasks_list to delete only the version you saw.',
  scopes: { allOf: ['tasks.write'] },
  input,
  output: z.object({
    deleted: z.literal(true),
    id: z.string(),
    title: z.string().optional().describe('Title of the deleted task.'),
    listId: z.string(),
    message: z.string(),
  }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  async plan(args, context) {
    return (await described(args, context)).sentence;
  },
  async run(args, context) {
    const { target, task } = await described(args, context);
    context.audit(target.path);
    // The version read (and shown in the plan) is the one deleted: a change made since stops the delete.
    const etag = args.etag ?? task.etag;
    await context.user.tasks
      .deleteTask(target.list, target.name, etag ? headerEtag(etag) : undefined)
      .catch((error: unknown) => rewordTaskError(error, target.id, context.userId));
    return {
      structured: withoutMissing({
        deleted: true as const,
        id: target.id,
        title: task.summary,
        listId: target.list.id,
        message: `The task was deleted; ${TRASH}.`,
      }),
    };
  },
});
