// Tasks: VTODO objects in the CalDAV calendars that hold tasks (contract more-apps 2). The task lists are the
// user's calendars as the calendar client discovers and lists them, narrowed to those whose component set holds
// VTODO; objects are then read and written with plain CalDAV requests below a listed calendar, so no URL from a
// caller reaches anywhere else. Changes follow the Tasks app's rules (ical.ts) and keep every property they do
// not touch, since other clients (phones, Thunderbird, the Tasks app) store their own there.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { CalendarInfo } from './calendar.js';
import { calendarClient } from './calendar.js';
import { InvalidArgumentError, NextcloudError, isNextcloudError, isWellFormedText, reworded } from './errors.js';
import type { HttpClient } from './http.js';
import { answerKind, readBody, unexpectedAnswer } from './http.js';
import { issuesText } from './zod-issues.js';
import { NS, child, escapeXml, readMultistatus, text } from './dav-xml.js';
import type { IcalComponent, IcalTime } from './ical.js';
import {
  ICAL,
  categoriesOf,
  instantOfTime,
  isTodoDone,
  isoDate,
  isoInZone,
  parentUidOf,
  parseCalendar,
  propTime,
  setTodoCompleted,
  textOf,
  todoOf,
  todoPercent,
  utcNow,
  zoneOf,
} from './ical.js';

/** What this library writes as the PRODID of the task objects it creates. */
export const TASKS_PRODID = '-//Nextcloud//MCP Gateway//EN';

/** Deck shows each board as a calendar of this name (deck:lib/DAV/Calendar.php); its cards change through Deck. */
const DECK_PREFIX = 'app-generated--deck--';

export interface TaskList extends CalendarInfo {
  /** Whether tasks may be created, changed and deleted there: not shared read-only and not a Deck board. */
  writable: boolean;
  /** A Deck board shown as a task list. */
  deck: boolean;
}

export interface TaskTime {
  /** YYYY-MM-DD for a date (all day), else ISO 8601 with the offset of the task's own zone (Z for UTC). */
  value: string;
  allDay: boolean;
  /** Milliseconds since the epoch; dates and floating times read in UTC. */
  instant: number;
}

export interface Task {
  /** The object's name in its list, e.g. 3f2c....ics. */
  name: string;
  listId: string;
  url: string;
  etag: string | null;
  /** The stored iCalendar text. */
  ics: string;
  uid: string | null;
  summary: string | null;
  description: string | null;
  location: string | null;
  /** STATUS as stored: NEEDS-ACTION, IN-PROCESS, COMPLETED, CANCELLED or null. */
  status: string | null;
  /** COMPLETED present or STATUS:COMPLETED (the Tasks app's rule). */
  done: boolean;
  cancelled: boolean;
  completedAt: string | null;
  percentComplete: number | null;
  /** 1 (highest) to 9 (lowest); null for none (absent or 0). */
  priority: number | null;
  due: TaskTime | null;
  start: TaskTime | null;
  categories: string[];
  parentUid: string | null;
  /** CLASS: PUBLIC, PRIVATE or CONFIDENTIAL when set. */
  classification: string | null;
  created: string | null;
  lastModified: string | null;
}

export const taskTimeInputSchema = z.union([
  z.object({ date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'is not a date (YYYY-MM-DD)') }),
  z.object({ at: z.date().refine((date) => !Number.isNaN(date.getTime()), 'is not a valid time') }),
]);
/** A date (an all-day due or start date) or an instant (stored in UTC). */
export type TaskTimeInput = z.infer<typeof taskTimeInputSchema>;

const wellFormedText = (max: number) => z.string().max(max).refine(isWellFormedText, 'contains a broken character (a lone surrogate)');

export const taskChangesSchema = z.object({
  summary: wellFormedText(1000).min(1).optional(),
  /** null or empty removes it. */
  description: wellFormedText(100_000).nullable().optional(),
  due: taskTimeInputSchema.nullable().optional(),
  start: taskTimeInputSchema.nullable().optional(),
  /** 1 highest .. 9 lowest; 0 or null removes it. */
  priority: z.number().int().min(0).max(9).nullable().optional(),
  /** Replaces every CATEGORIES property; null or [] removes them. */
  categories: z.array(wellFormedText(255).min(1)).max(100).nullable().optional(),
  /** true completes, false reopens, with the Tasks app's transitions. */
  completed: z.boolean().optional(),
});
export type TaskChanges = z.infer<typeof taskChangesSchema>;

export const newTaskSchema = taskChangesSchema.extend({
  summary: wellFormedText(1000).min(1),
  /** The name of the parent task in the same list; the new task becomes its subtask. */
  parent: z.string().optional(),
});
export type NewTask = z.infer<typeof newTaskSchema>;

export interface TaskQuery {
  /** open (default): neither done nor cancelled; completed: done; all. */
  status?: 'open' | 'completed' | 'all';
  dueBefore?: Date;
  dueAfter?: Date;
  /** high 1-4, medium 5, low 6-9, none: no priority (the Tasks app's groups). */
  priority?: 'high' | 'medium' | 'low' | 'none';
  /** Case-insensitive, in title, description, location and categories. */
  text?: string;
  /** Only subtasks of the task with this UID. */
  parentUid?: string;
  /** Only the task(s) with this UID. */
  uid?: string;
}

export interface TaskListing {
  tasks: Task[];
  /** Names of objects in the list that are not readable iCalendar tasks (written broken by some client). */
  unreadable: string[];
}

export interface TasksClient {
  /** The calendars that hold tasks (VTODO), own and shared, without deleted ones. */
  lists(): Promise<TaskList[]>;
  tasks(list: TaskList, query?: TaskQuery): Promise<TaskListing>;
  getTask(list: TaskList, name: string): Promise<Task>;
  /** Creates a task; a subtask that is open reopens its completed parent, as in the Tasks app. */
  createTask(list: TaskList, task: NewTask): Promise<{ task: Task; reopenedParent: Task | null }>;
  /** Applies the changes to the stored task if it still has `etag`, keeping everything else. */
  updateTask(list: TaskList, name: string, etag: string, changes: TaskChanges): Promise<Task>;
  deleteTask(list: TaskList, name: string, etag?: string): Promise<void>;
}

/** Arguments checked against a schema; what is wrong is the caller's to fix, said before anything is sent. */
function checked<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new InvalidArgumentError(`${what}: ${issuesText(result.error.issues)}`);
  return result.data;
}

const priorityGroup = (priority: number | null) =>
  priority === null ? 'none' : priority <= 4 ? 'high' : priority === 5 ? 'medium' : ('low' as const);

/** The object name of a task: one path segment. */
function checkedName(name: string): string {
  if (name === '' || name === '.' || name === '..' || /[\u0000-\u001f\u007f/\\]/.test(name) || name.length > 512 || !isWellFormedText(name))
    throw new InvalidArgumentError(`"${name.slice(0, 100)}" is not the name of a task object`);
  return name;
}

function utcText(todo: IcalComponent, name: string): string | null {
  const time = propTime(todo, name);
  return time ? isoInZone(time.time.toJSDate().getTime(), 'UTC') : null;
}

function taskTime(todo: IcalComponent, name: string): TaskTime | null {
  const time = propTime(todo, name);
  if (!time) return null;
  const instant = instantOfTime(time.time, time.tzid, 'UTC');
  if (time.time.isDate) return { value: isoDate(time.time), allDay: true, instant };
  return { value: isoInZone(instant, zoneOf(time) ?? 'UTC'), allDay: false, instant };
}

/** An object name as text; one written with a stray % stays raw, which is what the server answers to. */
function decodedName(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The task one stored object describes; null when it is not iCalendar with a VTODO. */
export function readTask(stored: { url: string; etag: string | null; ics: string }, listId: string): Task | null {
  let todo: IcalComponent | null;
  try {
    todo = todoOf(parseCalendar(stored.ics));
  } catch {
    return null;
  }
  if (!todo) return null;
  const segment = new URL(stored.url).pathname.split('/').at(-1) ?? '';
  const name = decodedName(segment);
  const priority = Number(todo.getFirstPropertyValue('priority') ?? 0);
  const status = textOf(todo, 'status')?.toUpperCase() ?? null;
  const percent = todo.hasProperty('percent-complete') ? todoPercent(todo) : null;
  return {
    name,
    listId,
    url: stored.url,
    etag: stored.etag,
    ics: stored.ics,
    uid: textOf(todo, 'uid'),
    summary: textOf(todo, 'summary'),
    description: textOf(todo, 'description'),
    location: textOf(todo, 'location'),
    status,
    done: isTodoDone(todo),
    cancelled: status === 'CANCELLED',
    completedAt: utcText(todo, 'completed'),
    percentComplete: percent,
    priority: Number.isInteger(priority) && priority >= 1 && priority <= 9 ? priority : null,
    due: taskTime(todo, 'due'),
    start: taskTime(todo, 'dtstart'),
    categories: categoriesOf(todo),
    parentUid: parentUidOf(todo),
    classification: textOf(todo, 'class')?.toUpperCase() ?? null,
    created: utcText(todo, 'created'),
    lastModified: utcText(todo, 'last-modified'),
  };
}

function matches(task: Task, query: TaskQuery): boolean {
  const status = query.status ?? 'open';
  if (status === 'open' && (task.done || task.cancelled)) return false;
  if (status === 'completed' && !task.done) return false;
  if (query.dueBefore && !(task.due && task.due.instant < query.dueBefore.getTime())) return false;
  if (query.dueAfter && !(task.due && task.due.instant >= query.dueAfter.getTime())) return false;
  if (query.priority && priorityGroup(task.priority) !== query.priority) return false;
  if (query.parentUid !== undefined && task.parentUid !== query.parentUid) return false;
  if (query.uid !== undefined && task.uid !== query.uid) return false;
  if (query.text) {
    const needle = query.text.toLowerCase();
    const haystack = [task.summary, task.description, task.location, ...task.categories];
    if (!haystack.some((value) => value?.toLowerCase().includes(needle))) return false;
  }
  return true;
}

/** The calendar-query: what the server can narrow down; the rest (and STATUS) is checked on the answer. */
function queryBody(query: TaskQuery): string {
  const filters: string[] = [];
  // STATUS:COMPLETED without COMPLETED passes this, so it is checked again on the answer.
  if ((query.status ?? 'open') === 'open') filters.push('<c:prop-filter name="COMPLETED"><c:is-not-defined/></c:prop-filter>');
  if (query.dueBefore || query.dueAfter) filters.push('<c:prop-filter name="DUE"/>');
  const exact = (name: string, value: string) =>
    `<c:prop-filter name="${name}"><c:text-match collation="i;octet">${escapeXml(value)}</c:text-match></c:prop-filter>`;
  if (query.parentUid !== undefined) filters.push(exact('RELATED-TO', query.parentUid));
  if (query.uid !== undefined) filters.push(exact('UID', query.uid));
  return `<?xml version="1.0" encoding="UTF-8"?>
<c:calendar-query xmlns:d="DAV:" xmlns:c="${NS.cal}"><d:prop><d:getetag/><c:calendar-data/></d:prop>
<c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VTODO">${filters.join('')}</c:comp-filter></c:comp-filter></c:filter>
</c:calendar-query>`;
}

function setText(todo: IcalComponent, name: string, value: string | null | undefined): void {
  if (value === undefined) return;
  if (value === null || value === '') todo.removeAllProperties(name);
  else todo.updatePropertyWithValue(name, value);
}

function setTaskTime(todo: IcalComponent, name: 'due' | 'dtstart', value: TaskTimeInput | null | undefined): void {
  if (value === undefined) return;
  todo.removeAllProperties(name);
  if (value === null) return;
  const property = new ICAL.Property(name);
  if ('date' in value) {
    const date = ICAL.Time.fromDateString(value.date);
    property.resetType('date');
    property.setValue(date);
  } else property.setValue(utcNow(value.at.getTime()));
  todo.addProperty(property);
}

/** Applies changes to a VTODO the way the Tasks app edits one; `now` stamps it. */
export function applyTaskChanges(todo: IcalComponent, changes: TaskChanges, now: IcalTime): void {
  if (changes.summary !== undefined) todo.updatePropertyWithValue('summary', changes.summary);
  if (changes.description !== undefined) {
    setText(todo, 'description', changes.description);
    // The Tasks app drops the HTML twin so that the two never disagree.
    todo.removeAllProperties('x-alt-desc');
  }
  setTaskTime(todo, 'due', changes.due);
  setTaskTime(todo, 'dtstart', changes.start);
  // A repetition needs a start or a due date to count from; the Tasks app drops it with both.
  if ((changes.due === null || changes.start === null) && !todo.hasProperty('due') && !todo.hasProperty('dtstart'))
    todo.removeAllProperties('rrule');
  if (changes.priority !== undefined) {
    if (!changes.priority) todo.removeAllProperties('priority');
    else todo.updatePropertyWithValue('priority', changes.priority);
  }
  if (changes.categories !== undefined) {
    todo.removeAllProperties('categories');
    if (changes.categories && changes.categories.length > 0) {
      const property = new ICAL.Property('categories');
      property.setValues(changes.categories);
      todo.addProperty(property);
    }
  }
  if (changes.completed !== undefined && changes.completed !== isTodoDone(todo)) setTodoCompleted(todo, changes.completed, now);
  todo.updatePropertyWithValue('last-modified', now.clone());
  todo.updatePropertyWithValue('dtstamp', now.clone());
}

/** A new task object: VCALENDAR with PRODID and one VTODO with UID, DTSTAMP, CREATED, LAST-MODIFIED. */
export function newTaskCalendar(task: NewTask, parentUid: string | null, uid: string, now: IcalTime): IcalComponent {
  const calendar = new ICAL.Component(['vcalendar', [], []]);
  calendar.addPropertyWithValue('prodid', TASKS_PRODID);
  calendar.addPropertyWithValue('version', '2.0');
  calendar.addPropertyWithValue('calscale', 'GREGORIAN');
  const todo = new ICAL.Component('vtodo');
  todo.addPropertyWithValue('uid', uid);
  todo.addPropertyWithValue('created', now.clone());
  if (parentUid) todo.addPropertyWithValue('related-to', parentUid);
  calendar.addSubcomponent(todo);
  const { completed, ...fields } = task;
  applyTaskChanges(todo, fields, now);
  if (completed) setTodoCompleted(todo, true, now);
  else todo.updatePropertyWithValue('status', 'NEEDS-ACTION');
  return calendar;
}

export function tasksClient(http: HttpClient, timeoutMs = 30_000): TasksClient {
  // The calendar client's discovery and listing (the home by the contract, discovery only when that fails).
  const calendars = calendarClient(http, timeoutMs);
  const calendarsRoot = `${http.baseUrl}/remote.php/dav/calendars/`;

  const listUrl = (list: TaskList) => {
    const base = list.url.endsWith('/') ? list.url : `${list.url}/`;
    if (!base.startsWith(calendarsRoot)) throw new InvalidArgumentError(`"${list.url}" is not a calendar of this Nextcloud`);
    return base;
  };
  const objectUrl = (list: TaskList, name: string) => `${listUrl(list)}${encodeURIComponent(checkedName(name))}`;
  /** Deck answers writes to its board calendars with 403 and keeps its cards in its own API. */
  const notDeck = (list: TaskList) => {
    if (list.deck) throw new InvalidArgumentError(`task list ${list.id} is a Deck board; its cards are changed in Deck, not as tasks`);
  };
  const pathOf = (url: string) => new URL(url).pathname;
  const request = (method: string, url: string, init: { headers?: Record<string, string>; body?: string } = {}) =>
    http.request(method, url.slice(http.baseUrl.length), init);

  /** A refused task write, in words that name the list. */
  const writeError = (error: unknown, list: TaskList, what: string): never => {
    if (!isNextcloudError(error)) throw error;
    const hints: Partial<Record<NextcloudError['code'], string>> = {
      forbidden: `${http.userId} may not ${what} in task list ${list.id}: it is shared read-only with ${http.userId}, or it does not take tasks`,
      precondition_failed: `the task changed since it was read (stale ETag); read it again`,
      bad_request: `Nextcloud rejected the task for list ${list.id} (invalid iCalendar, or its UID is already used there)`,
    };
    const hint = hints[error.code];
    throw hint ? reworded(error, `${hint} (${error.method} ${error.status}).`) : error;
  };

  const expectStatus = async (response: Response, method: string, url: string, statuses: number[], meaning: string) => {
    if (statuses.includes(response.status)) return;
    await response.body?.cancel().catch(() => undefined);
    throw unexpectedAnswer(method, pathOf(url), `${answerKind(response)} instead of ${meaning}`, response.status);
  };

  const get = async (list: TaskList, name: string): Promise<Task> => {
    const url = objectUrl(list, name);
    const response = await request('GET', url, { headers: { Accept: 'text/calendar' } });
    const ics = await readBody(response, 'GET', pathOf(url));
    const task = readTask({ url, etag: response.headers.get('etag'), ics }, list.id);
    if (!task) throw unexpectedAnswer('GET', pathOf(url), `${answerKind(response)} that holds no task (VTODO)`, response.status);
    return task;
  };

  const put = async (list: TaskList, url: string, ics: string, condition: Record<string, string>, what: string) => {
    const response = await request('PUT', url, {
      headers: { 'Content-Type': 'text/calendar; charset=utf-8', ...condition },
      body: ics,
    }).catch((error: unknown) => writeError(error, list, what));
    await expectStatus(response, 'PUT', url, [201, 204], 'a stored task (201 or 204)');
    return response.headers.get('etag');
  };

  /** The stored task after a write: as written when Nextcloud kept the bytes (it sent an ETag), else read back. */
  const written = async (list: TaskList, name: string, url: string, ics: string, etag: string | null) =>
    etag ? (readTask({ url, etag, ics }, list.id) ?? get(list, name)) : get(list, name);

  const update = async (list: TaskList, name: string, etag: string, changes: TaskChanges): Promise<Task> => {
    notDeck(list);
    const valid = checked(taskChangesSchema, changes, 'invalid task changes');
    const stored = await get(list, name);
    // Refused before anything is computed from a newer version than the caller saw; the PUT's If-Match covers the rest.
    if (stored.etag && etag && bare(stored.etag) !== bare(etag))
      throw new NextcloudError({
        code: 'precondition_failed',
        method: 'PUT',
        path: pathOf(stored.url),
        message: 'the task changed since it was read (stale ETag); read it again.',
      });
    const calendar = parseCalendar(stored.ics);
    const todo = todoOf(calendar)!;
    applyTaskChanges(todo, valid, utcNow());
    const ics = calendar.toString();
    const condition: Record<string, string> = etag ? { 'If-Match': quoted(etag) } : stored.etag ? { 'If-Match': stored.etag } : {};
    const newEtag = await put(list, stored.url, ics, condition, 'change tasks');
    return written(list, name, stored.url, ics, newEtag);
  };

  return {
    async lists() {
      return (
        (await calendars.calendars())
          // No component set means every component (RFC 4791), as the calendar tools read it too.
          .filter(
            (calendar) =>
              (calendar.components.length === 0 || calendar.components.includes('VTODO')) && calendar.url.startsWith(calendarsRoot),
          )
          .map((calendar) => {
            const deck = calendar.id.startsWith(DECK_PREFIX);
            return { ...calendar, readOnly: calendar.readOnly || deck, writable: !calendar.readOnly && !deck, deck };
          })
      );
    },

    async tasks(list, query = {}) {
      const url = listUrl(list);
      const response = await request('REPORT', url, {
        headers: { Depth: '1', 'Content-Type': 'application/xml; charset=utf-8' },
        body: queryBody(query),
      });
      const entries = await readMultistatus(response, 'REPORT', pathOf(url));
      const listing: TaskListing = { tasks: [], unreadable: [] };
      for (const entry of entries) {
        let entryUrl: string;
        try {
          entryUrl = new URL(entry.href, http.baseUrl).toString();
        } catch (error) {
          throw unexpectedAnswer('REPORT', pathOf(url), `an entry whose href is not a URL (${entry.href.slice(0, 200)})`, 207, error);
        }
        if (!entryUrl.startsWith(url) || entryUrl === url) continue;
        const ics = text(child(entry.props, NS.cal, 'calendar-data'));
        if (ics === undefined)
          throw unexpectedAnswer('REPORT', pathOf(url), `an entry without calendar data (${entry.href.slice(0, 200)})`, 207);
        const task = readTask({ url: entryUrl, etag: text(child(entry.props, NS.dav, 'getetag')) ?? null, ics }, list.id);
        if (!task) listing.unreadable.push(decodedName(entryUrl.slice(url.length)));
        else if (matches(task, query)) listing.tasks.push(task);
      }
      return listing;
    },

    getTask: get,

    async createTask(list, task) {
      notDeck(list);
      const valid = checked(newTaskSchema, task, 'invalid task');
      let parent: Task | null = null;
      if (valid.parent !== undefined) {
        parent = await get(list, valid.parent);
        if (!parent.uid) throw new InvalidArgumentError(`task ${valid.parent} has no UID, so it cannot have subtasks`);
      }
      const uid = randomUUID();
      const name = `${uid}.ics`;
      const url = objectUrl(list, name);
      const ics = newTaskCalendar(valid, parent?.uid ?? null, uid, utcNow()).toString();
      const etag = await put(list, url, ics, { 'If-None-Match': '*' }, 'add tasks');
      const created = await written(list, name, url, ics, etag);
      let reopenedParent: Task | null = null;
      // The Tasks app reopens a completed parent that gets an open subtask: a parent is done only with all of them.
      if (parent?.done && !created.done) {
        try {
          reopenedParent = await update(list, parent.name, parent.etag ?? '', { completed: false });
        } catch (error) {
          if (!isNextcloudError(error, 'precondition_failed')) throw error;
          const current = await get(list, parent.name);
          reopenedParent = current.done ? await update(list, current.name, current.etag ?? '', { completed: false }) : null;
        }
      }
      return { task: created, reopenedParent };
    },

    updateTask: update,

    async deleteTask(list, name, etag) {
      notDeck(list);
      const url = objectUrl(list, name);
      const response = await request('DELETE', url, { headers: etag ? { 'If-Match': quoted(etag) } : {} }).catch((error: unknown) =>
        writeError(error, list, 'delete tasks'),
      );
      await expectStatus(response, 'DELETE', url, [200, 204], 'a deletion (204)');
    },
  };
}

const bare = (etag: string) => etag.trim().replace(/^W\//, '').replace(/"/g, '');
const quoted = (etag: string) => (/^(W\/)?".*"$/.test(etag.trim()) ? etag.trim() : `"${bare(etag)}"`);
