// What the task tools share: task ids and how they resolve, the list a call names, times as callers type them, and
// the shape a task is described in.
//
// A task id is "<list id>/<object name>", e.g. "tasks/3f2c....ics". It resolves only among the task lists
// Nextcloud lists in the acting user's own calendar home, and the object name is one path segment, so no id
// reaches outside that home: another user's list is reachable only when Nextcloud shares it into this user's home
// (e.g. chores_shared_by_alice), with Nextcloud's own rights.
import { z } from 'zod';
import type { NextcloudUserClient } from '../../../lib/index.js';
import { isInvalidArgumentError, isNextcloudError } from '../../../lib/index.js';
import { canonicalZone, inputInstant, parseTimeInput } from '../../../lib/ical.js';
import type { Task, TaskList, TaskTimeInput } from '../../../lib/tasks.js';
import { withoutMissing } from '../absent.js';
import { ToolError, WELL_FORMED, etagField } from '../tool.js';

export const listInput = z
  .string()
  .trim()
  .min(1)
  .max(255)
  .refine(...WELL_FORMED)
  .describe('Task list id (or display name) from tasks_list_lists.');
export const taskIdInput = z
  .string()
  .trim()
  .min(3)
  .max(1024)
  .refine(...WELL_FORMED)
  .regex(/^[^/\\]+\/[^/\\]+$/, 'is not a task id ("<list id>/<object name>", as tasks_list returns it)')
  .describe('The task id as tasks_list or tasks_create returned it: "<list id>/<object name>", e.g. "tasks/3f2c0a.ics".');
export const etagInput = etagField('the task tools');
export const titleInput = z
  .string()
  .trim()
  .min(1)
  .max(1000)
  .refine(...WELL_FORMED);
export const descriptionInput = z
  .string()
  .max(20_000)
  .refine(...WELL_FORMED);
export const timeInput = z.string().trim().max(40);
export const timeZoneInput = z
  .string()
  .trim()
  .max(64)
  .refine((value) => canonicalZone(value) !== null, {
    message: 'is not a time zone Nextcloud knows; use an IANA name such as Europe/Berlin',
  });
export const TIME_ZONE_TEXT = 'IANA time zone (e.g. Europe/Berlin) for due/start date-times given without a UTC offset.';
export const categoriesInput = z
  .array(
    z
      .string()
      .trim()
      .min(1)
      .max(255)
      .refine(...WELL_FORMED),
  )
  .max(50);

/** A due or start time as typed: a date stays a date (all day); a date-time needs an offset or timeZone. */
export function taskTime(text: string, label: string, timeZone: string | undefined): TaskTimeInput {
  const input = parseTimeInput(text);
  if (!input)
    throw new ToolError(
      'invalid_input',
      `${label} "${text}" is not an ISO 8601 date or date-time (e.g. 2026-05-04 or 2026-05-04T17:00:00+02:00).`,
    );
  if (input.kind === 'date') return { date: text.trim().slice(0, 10) };
  if (input.offsetMinutes === null && !timeZone)
    throw new ToolError('invalid_input', `${label} "${text}" has no UTC offset; add one (e.g. +02:00 or Z) or give timeZone.`);
  return { at: new Date(inputInstant(input, canonicalZone(timeZone) ?? 'UTC')) };
}

/** A filter bound: a date is its midnight UTC. */
export function boundTime(text: string, label: string): Date {
  const input = parseTimeInput(text);
  if (!input) throw new ToolError('invalid_input', `${label} "${text}" is not an ISO 8601 date or date-time.`);
  return new Date(inputInstant(input, 'UTC'));
}

export const ownerOf = (list: TaskList) => list.ownerPrincipal?.replace(/\/$/, '').split('/').at(-1) ?? null;
export const listPath = (list: TaskList) => new URL(list.url).pathname;

/**
 * The task lists the task tools work with. Deck shows each board as a task list in CalDAV; its cards are Deck's
 * (deck.read, the Deck app, the admin's Deck switches), so a tasks grant never reads them through a calendar.
 */
export async function taskLists(user: NextcloudUserClient): Promise<TaskList[]> {
  return (await user.tasks.lists()).filter((list) => !list.deck);
}

/** The list a call names, by id or (when unambiguous) by display name. */
export async function findList(user: NextcloudUserClient, name: string, userId: string): Promise<TaskList> {
  const all = await taskLists(user);
  const byName = all.filter((list) => list.displayName.toLowerCase() === name.toLowerCase());
  const list = all.find((candidate) => candidate.id === name) ?? (byName.length === 1 ? byName[0] : undefined);
  if (!list)
    throw new ToolError(
      'not_found',
      `${userId} has no task list "${name}". Task lists: ${all.map((candidate) => `${candidate.id} (${candidate.displayName})`).join(', ') || 'none'}.`,
    );
  return list;
}

export function assertWritable(list: TaskList, userId: string): void {
  if (list.deck)
    throw new ToolError('not_allowed', `task list '${list.displayName}' is a Deck board; change its cards with the Deck tools or in Deck.`);
  if (!list.writable) {
    const owner = ownerOf(list);
    throw new ToolError(
      'not_allowed',
      `task list '${list.displayName}' is shared with ${userId} read-only${owner && owner !== userId ? ` by ${owner}` : ''}; ${userId} cannot add, change or delete its tasks.`,
    );
  }
}

/** The user's default list, as the Tasks app picks it without a setting: the first writable one by calendar order. */
export function defaultList(lists: TaskList[], userId: string): TaskList {
  const byOrder = (list: TaskList) => list.order ?? Number.MAX_SAFE_INTEGER;
  const list = lists.filter((candidate) => candidate.writable).sort((a, b) => byOrder(a) - byOrder(b))[0];
  if (!list) throw new ToolError('not_allowed', `${userId} has no task list they may add tasks to; create one in the Nextcloud Tasks app.`);
  return list;
}

export interface ResolvedTask {
  id: string;
  list: TaskList;
  name: string;
  path: string;
}

export async function resolveTask(user: NextcloudUserClient, id: string, userId: string): Promise<ResolvedTask> {
  const slash = id.indexOf('/');
  const name = slash > 0 ? id.slice(slash + 1) : '';
  if (slash <= 0 || name === '' || name === '.' || name === '..' || /[\u0000-\u001f\u007f/\\]/.test(name) || name.length > 512)
    throw new ToolError(
      'invalid_input',
      `"${id}" is not a task id. Task ids look like "tasks/3f2c0a.ics" (list id, slash, object name) and come from tasks_list.`,
    );
  const list = await findList(user, id.slice(0, slash), userId);
  return { id: `${list.id}/${name}`, list, name, path: `${listPath(list)}${encodeURIComponent(name)}` };
}

/** Nextcloud's refusals in the user's words. */
export function rewordTaskError(error: unknown, id: string, userId: string): never {
  if (isNextcloudError(error, 'not_found'))
    throw new ToolError(
      'not_found',
      `task '${id}' does not exist in ${userId}'s task lists (it may have been deleted); tasks_list shows the current ids.`,
    );
  if (isNextcloudError(error, 'precondition_failed')) throw staleTask();
  if (isNextcloudError(error, 'forbidden')) throw new ToolError('not_allowed', error.message);
  if (isInvalidArgumentError(error)) throw new ToolError('invalid_input', error.message);
  throw error;
}

export const staleTask = () =>
  new ToolError('conflict', 'the task changed since you read it; read it again with tasks_get and retry with its new etag.');

// ---- output shapes

const taskFields = {
  id: z.string().describe('Task id for tasks_get, tasks_update and tasks_delete.'),
  listId: z.string(),
  listName: z.string(),
  etag: z.string().optional().describe('Version of the task; tasks_update needs it.'),
  title: z.string().optional(),
  done: z.boolean().describe('Completed (COMPLETED set or STATUS:COMPLETED).'),
  status: z.string().optional().describe('iCalendar STATUS: NEEDS-ACTION, IN-PROCESS, COMPLETED or CANCELLED.'),
  completedAt: z.string().optional().describe('When it was completed (UTC).'),
  percentComplete: z.number().int().optional(),
  priority: z.number().int().optional().describe('1 (highest) to 9 (lowest): 1-4 high, 5 medium, 6-9 low; absent for none.'),
  due: z.string().optional().describe('Due: a date (YYYY-MM-DD, all day) or an ISO 8601 date-time with offset.'),
  start: z.string().optional().describe('Start, in the same form as due.'),
  categories: z.array(z.string()),
  parentUid: z.string().optional().describe('UID of the parent task when this is a subtask.'),
  visibility: z.string().optional().describe('PUBLIC, PRIVATE or CONFIDENTIAL (iCalendar CLASS) when set.'),
};

export const taskSummarySchema = z.object({
  ...taskFields,
  description: z.string().optional().describe('The beginning of the description; tasks_get has all of it.'),
});
export type TaskSummary = z.infer<typeof taskSummarySchema>;

export const taskDetailsSchema = z.object({
  ...taskFields,
  readOnly: z.boolean().describe('Whether the acting user may not change or delete it (list shared read-only, or a Deck board).'),
  description: z.string().optional(),
  location: z.string().optional(),
  uid: z.string().optional(),
  parentId: z.string().optional().describe('Task id of the parent task, when it is in the same list.'),
  subtaskIds: z.array(z.string()).describe('Task ids of its subtasks.'),
  created: z.string().optional(),
  lastModified: z.string().optional(),
});
export type TaskDetails = z.infer<typeof taskDetailsSchema>;

function snippet(text: string | null, length = 200): string | null {
  if (!text) return null;
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > length ? `${flat.slice(0, length - 1)}…` : flat;
}

function baseFields(task: Task, list: TaskList) {
  return {
    id: `${list.id}/${task.name}`,
    listId: list.id,
    listName: list.displayName || list.id,
    etag: task.etag,
    title: task.summary,
    done: task.done,
    status: task.status,
    completedAt: task.completedAt,
    percentComplete: task.percentComplete,
    priority: task.priority,
    due: task.due?.value ?? null,
    start: task.start?.value ?? null,
    categories: task.categories,
    parentUid: task.parentUid,
    visibility: task.classification,
  };
}

export function describeSummary(task: Task, list: TaskList): TaskSummary {
  return withoutMissing({ ...baseFields(task, list), description: snippet(task.description) });
}

export function describeTask(task: Task, list: TaskList, related: { parentId?: string | null; subtaskIds?: string[] } = {}): TaskDetails {
  return withoutMissing({
    ...baseFields(task, list),
    readOnly: !list.writable,
    description: task.description,
    location: task.location,
    uid: task.uid,
    parentId: related.parentId ?? null,
    subtaskIds: related.subtaskIds ?? [],
    created: task.created,
    lastModified: task.lastModified,
  });
}

/** The parent's id and the subtasks' ids of a task, looked up in its list. */
export async function relatives(
  user: NextcloudUserClient,
  task: Task,
  list: TaskList,
): Promise<{ parentId: string | null; subtaskIds: string[] }> {
  const [parent, subtasks] = await Promise.all([
    task.parentUid ? user.tasks.tasks(list, { status: 'all', uid: task.parentUid }) : null,
    task.uid ? user.tasks.tasks(list, { status: 'all', parentUid: task.uid }) : null,
  ]);
  const parentTask = parent?.tasks[0];
  return {
    parentId: parentTask ? `${list.id}/${parentTask.name}` : null,
    subtaskIds: (subtasks?.tasks ?? []).map((subtask) => `${list.id}/${subtask.name}`),
  };
}
