// ChatGPT's `fetch`: the full text of one item `search` found. The id is resolved again as the calling user with
// every check search applied (scope, folder allowlist, hidden tags, the user's own calendars, conversations, address
// books, task lists, notes and boards), so an id from someone else, or one made up, reaches nothing the caller could
// not reach anyway.
import { z } from 'zod';
import type { Scope } from '../../core/scopes.js';
import { withoutMissing } from '../absent.js';
import { formatBytes } from '../bytes.js';
import { confinedFiles } from '../files/confined.js';
import { hiddenFiles } from '../files/hidden.js';
import { expectationOf, readTextWindow } from '../files/text.js';
import type { ToolContext } from '../tool.js';
import { READS_ONLY, ToolError, WELL_FORMED, defineTool } from '../tool.js';
import type { EventDetails } from '../calendar/common.js';
import { describeEvent, resolveEvent, timeText } from '../calendar/common.js';
import type { IcalComponent } from '../../../lib/ical.js';
import { parseCalendar } from '../../../lib/ical.js';
import { authorName, isSystemMessage } from '../talk/common.js';
import type { Item } from './app-items.js';
import { fetchCard, fetchContact, fetchNote, fetchTask } from './app-items.js';
import { READ_SCOPES } from '../../core/scopes.js';
import { readableScopes } from './hits.js';
import type { ItemId } from './ids.js';
import { formatId, invalidId, parseId, webLinks } from './ids.js';

/** Enough text for a model to work with, small enough not to swamp its context. */
const MAX_TEXT_BYTES = 100_000;
/** Messages shown before the one fetched, so a reply makes sense. */
const TALK_CONTEXT = 6;
const MAX_LISTED = 200;

const SCOPE_OF: Record<ItemId['kind'], Scope> = {
  file: 'files.read',
  event: 'calendar.read',
  talk: 'talk.read',
  contact: 'contacts.read',
  task: 'tasks.read',
  note: 'notes.read',
  card: 'deck.read',
};

async function fetchFile(path: string, context: ToolContext): Promise<Item> {
  const files = confinedFiles(context.user.files, context.policy.folderAllowlist, () => hiddenFiles(context), context.userId);
  const entry = await files.stat(path);
  if (!files.visible(entry.path))
    throw new ToolError('not_allowed', `Refused: ${entry.path} is outside the folders the administrator made available.`);
  const url = webLinks(context.webRoot).file(entry.fileId, entry.path);
  const metadata = withoutMissing({
    source: 'files',
    path: entry.path,
    type: entry.type,
    contentType: entry.contentType,
    size: entry.size,
    modified: entry.lastModified,
    owner: entry.ownerDisplayName ?? entry.ownerId,
  });
  if (entry.type === 'folder') {
    const children = await files.list(entry.path);
    const lines = children
      .slice(0, MAX_LISTED)
      .map(
        (child) =>
          `${child.type === 'folder' ? `${child.name}/` : child.name}${child.type === 'file' ? ` (${formatBytes(child.size)})` : ''}`,
      );
    if (children.length > MAX_LISTED) lines.push(`… and ${children.length - MAX_LISTED} more`);
    return {
      title: entry.path === '/' ? 'Home folder' : entry.name,
      text: [`Folder ${entry.path}`, '', ...(lines.length > 0 ? lines : ['(empty)'])].join('\n'),
      url,
      metadata,
    };
  }
  const expected = expectationOf(entry.contentType, entry.name);
  const read =
    expected === 'binary'
      ? null
      : await readTextWindow(files, entry.path, { offset: 0, length: MAX_TEXT_BYTES, size: entry.size, expected }, context);
  if (!read?.window) {
    return {
      title: entry.name,
      text: `${entry.name} (${entry.contentType ?? 'unknown type'}, ${formatBytes(entry.size)}) in ${entry.path.slice(0, entry.path.lastIndexOf('/')) || '/'} is not a text file; its content cannot be shown as text here. Open the link to view it in Nextcloud.`,
      url,
      metadata,
    };
  }
  const { text, truncated, notes } = read.window;
  const cut = truncated ? [`Cut after ${formatBytes(MAX_TEXT_BYTES)} of ${formatBytes(entry.size)}.`] : [];
  return {
    title: entry.name,
    text: [text, ...[...notes, ...cut].map((note) => `[${note}]`)].join('\n\n'),
    url,
    metadata: { ...metadata, truncated },
  };
}

const person = (who: { email: string; name?: string }) => (who.name ? `${who.name} <${who.email}>` : who.email);

function eventText(details: EventDetails): string {
  const lines = [
    `Event: ${details.summary ?? '(no title)'}`,
    `Calendar: ${details.calendarName || details.calendarId}`,
    `Starts: ${timeText(details.start, details)}${details.allDay ? ' (all day)' : ''}`,
    `Ends: ${timeText(details.end, details)}`,
  ];
  const recurrence = details.recurrence;
  if (recurrence) {
    lines.push(`Repeats: ${recurrence.rule ?? 'on single dates'}`);
    if (recurrence.excludedDates.length > 0) lines.push(`Except: ${recurrence.excludedDates.join(', ')}`);
    for (const changed of recurrence.changedOccurrences) {
      const what = [changed.summary, changed.status].filter((part) => part !== undefined).join(', ');
      lines.push(`Changed: the one due ${changed.occurrence} is at ${timeText(changed.start, details)}${what ? ` (${what})` : ''}`);
    }
  }
  if (details.location) lines.push(`Location: ${details.location}`);
  if (details.status) lines.push(`Status: ${details.status}`);
  if (details.organizer) lines.push(`Organizer: ${person(details.organizer)}`);
  if (details.attendees.length > 0)
    lines.push(
      `Attendees: ${details.attendees.map((attendee) => `${person(attendee)}${attendee.status ? ` (${attendee.status})` : ''}`).join(', ')}`,
    );
  if (details.description) lines.push('', details.description);
  return lines.join('\n');
}

async function fetchEvent(item: Extract<ItemId, { kind: 'event' }>, context: ToolContext): Promise<Item> {
  const client = context.user.calendar;
  // The id is checked and resolved exactly as the calendar tools do it: among the user's own calendars only.
  const event = await resolveEvent(client, item.eventId, context.userId).catch((error: unknown) => {
    throw error instanceof ToolError && error.code === 'invalid_input' ? invalidId(formatId(item)) : error;
  });
  context.audit(event.id);
  const stored = await client.getEvent(event.url);
  let parsed: IcalComponent;
  try {
    parsed = parseCalendar(stored.ics);
  } catch {
    throw new ToolError('unsupported', `event '${event.id}' is not valid iCalendar; open it in the Nextcloud Calendar app.`);
  }
  const details = describeEvent(parsed, { id: event.id, calendar: event.calendar, etag: stored.etag });
  return {
    title: details.summary ?? '(no title)',
    text: eventText(details),
    url: webLinks(context.webRoot).calendar(),
    metadata: withoutMissing({
      source: 'calendar',
      calendar: details.calendarName || details.calendarId,
      start: details.start,
      end: details.end,
      timeZone: details.timeZone,
      allDay: details.allDay,
      recurring: details.recurrence !== undefined,
      uid: details.uid,
    }),
  };
}

async function fetchMessage(token: string, messageId: number, context: ToolContext): Promise<Item> {
  const talk = context.user.talk;
  const conversation = await talk.conversation(token);
  // History below messageId + 1 starts with the message itself; ids are unique across conversations.
  const page = await talk.messages(token, { limit: TALK_CONTEXT + 1, lastKnownMessageId: messageId + 1 });
  const message = page.messages.find((candidate) => candidate.id === messageId);
  if (!message) throw new ToolError('not_found', `There is no message ${messageId} in Talk conversation '${conversation.displayName}'.`);
  const time = (seconds: number) => new Date(seconds * 1000).toISOString();
  const earlier = page.messages.filter((candidate) => candidate.id < messageId && !isSystemMessage(candidate)).reverse();
  const quoted = message.replyTo !== null ? page.messages.find((candidate) => candidate.id === message.replyTo) : undefined;
  const lines = [
    `Message in Talk conversation '${conversation.displayName}'`,
    `From: ${authorName(message)}`,
    `Time: ${time(message.timestamp)}`,
  ];
  if (message.replyTo !== null)
    lines.push(`In reply to: ${quoted ? `${authorName(quoted)}: ${quoted.text}` : `message ${message.replyTo}`}`);
  lines.push('', message.text);
  if (earlier.length > 0)
    lines.push(
      '',
      'Earlier messages:',
      ...earlier.map((candidate) => `[${time(candidate.timestamp)}] ${authorName(candidate)}: ${candidate.text}`),
    );
  return {
    title: `${authorName(message)} in ${conversation.displayName}`,
    text: lines.join('\n'),
    url: webLinks(context.webRoot).talk(token, messageId),
    metadata: {
      source: 'talk',
      conversation: conversation.displayName,
      token,
      messageId,
      author: authorName(message),
      time: time(message.timestamp),
    },
  };
}

export const fetch = defineTool({
  name: 'fetch',
  title: 'Fetch a Nextcloud item',
  description:
    'Reads one item found with search, by its id: the text of a file (or a folder listing), the details of a calendar event, ' +
    'a Talk message with the messages before it, a contact, a task (with its subtasks), a note, or a Deck card with its board and list.',
  scopes: { anyOf: READ_SCOPES },
  input: z.object({
    id: z
      .string()
      .min(1)
      .max(4096)
      .refine(...WELL_FORMED)
      .describe('An id from a search result, unchanged.'),
  }),
  output: z.object({
    id: z.string(),
    title: z.string(),
    text: z.string(),
    url: z.string(),
    metadata: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  }),
  annotations: READS_ONLY,
  async run(input, context) {
    const item = parseId(input.id);
    // Refused as an id never given out: the grant's limits say nothing about what exists.
    if (!readableScopes(context).includes(SCOPE_OF[item.kind])) throw invalidId(input.id);
    let found: Item;
    switch (item.kind) {
      case 'file':
        context.audit(item.path);
        found = await fetchFile(item.path, context);
        break;
      case 'event':
        found = await fetchEvent(item, context);
        break;
      case 'talk':
        context.audit(`${item.token}#${item.messageId}`);
        found = await fetchMessage(item.token, item.messageId, context);
        break;
      case 'contact':
        found = await fetchContact(item, context);
        break;
      case 'task':
        found = await fetchTask(item, context);
        break;
      case 'note':
        found = await fetchNote(item, context);
        break;
      case 'card':
        found = await fetchCard(item, context);
        break;
    }
    const structured = { id: formatId(item), ...found };
    return { structured, content: [{ type: 'text', text: JSON.stringify(structured) }] };
  },
});
