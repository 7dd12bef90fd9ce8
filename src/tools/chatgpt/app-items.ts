// fetch for contacts, tasks, notes and Deck cards: each id is resolved again as the caller, the way the app's own
// tools resolve theirs (contacts_get, tasks_get, notes_get, deck_get_card), so the address book, task list, note
// and board must be one the caller reaches, and notes stay within the folder allowlist and the hidden-tag rule.
import type { Contact } from '../../../lib/contacts.js';
import { withoutMissing } from '../absent.js';
import { rewordMissing } from '../contacts/common.js';
import { cardTarget, locateCard } from '../deck/common.js';
import { NoteScope, visibleNote } from '../notes/common.js';
import { resolveTask, rewordTaskError } from '../tasks/common.js';
import type { ToolContext } from '../tool.js';
import { ToolError } from '../tool.js';
import type { ItemId } from './ids.js';
import { formatId, invalidId, webLinks } from './ids.js';

export type Item = { title: string; text: string; url: string; metadata: Record<string, string | number | boolean> };

/** Subtasks named in a fetched task, at most. */
const MAX_SUBTASKS = 50;

const typed = (values: Contact['emails']) =>
  values.map((entry) => (entry.types.length > 0 ? `${entry.value} (${entry.types.join(', ')})` : entry.value)).join(', ');

function contactText(contact: Contact, bookName: string): string {
  const lines = [`Contact: ${contact.fullName}`, `Address book: ${bookName}`];
  const fields: Array<[string, string | null]> = [
    ['Nickname', contact.nickname],
    ['Email', typed(contact.emails)],
    ['Phone', typed(contact.phones)],
    ['Organisation', contact.organization],
    ['Title', contact.title],
    ['Birthday', contact.birthday],
    ['Groups', contact.categories.join(', ')],
  ];
  for (const [label, value] of fields) if (value) lines.push(`${label}: ${value}`);
  if (contact.note) lines.push('', contact.note);
  return lines.join('\n');
}

export async function fetchContact(item: Extract<ItemId, { kind: 'contact' }>, context: ToolContext): Promise<Item> {
  const client = context.user.contacts;
  const id = formatId(item);
  // Among the caller's own listing, by id only: a display name is not an id this connector gives out.
  const book = (await client.addressBooks()).find((candidate) => candidate.uri === item.addressBook);
  if (!book) throw new ToolError('not_found', `contact '${id}' does not exist in ${context.userId}'s address books.`);
  const { uri, displayName } = book;
  context.audit(`${uri}/${item.name}`);
  const contact = await client.get(uri, item.name).catch((error: unknown) => rewordMissing(error, id, context.userId));
  return {
    title: contact.fullName,
    text: contactText(contact, displayName || uri),
    url: webLinks(context.webRoot).contact(contact.uid, uri),
    metadata: withoutMissing({
      source: 'contacts',
      addressBook: displayName || uri,
      email: contact.emails[0]?.value,
      organization: contact.organization,
      uid: contact.uid,
    }),
  };
}

export async function fetchTask(item: Extract<ItemId, { kind: 'task' }>, context: ToolContext): Promise<Item> {
  const user = context.user;
  const target = await resolveTask(user, `${item.listId}/${item.name}`, context.userId);
  // resolveTask also takes a list's display name; only its id is one this connector gives out.
  if (target.list.id !== item.listId) throw invalidId(formatId(item));
  context.audit(target.path);
  const task = await user.tasks
    .getTask(target.list, target.name)
    .catch((error: unknown) => rewordTaskError(error, target.id, context.userId));
  const subtasks = task.uid ? (await user.tasks.tasks(target.list, { status: 'all', parentUid: task.uid })).tasks : [];
  const listName = target.list.displayName || target.list.id;
  const status = task.done ? 'completed' : task.cancelled ? 'cancelled' : task.status === 'IN-PROCESS' ? 'in progress' : 'open';
  const lines = [`Task: ${task.summary ?? 'Untitled task'}`, `List: ${listName}`, `Status: ${status}`];
  if (task.completedAt) lines.push(`Completed: ${task.completedAt}`);
  if (task.percentComplete !== null && !task.done) lines.push(`Progress: ${task.percentComplete}%`);
  if (task.due) lines.push(`Due: ${task.due.value}${task.due.allDay ? ' (all day)' : ''}`);
  if (task.start) lines.push(`Starts: ${task.start.value}`);
  if (task.priority !== null)
    lines.push(`Priority: ${task.priority} (${task.priority <= 4 ? 'high' : task.priority === 5 ? 'medium' : 'low'})`);
  if (task.categories.length > 0) lines.push(`Categories: ${task.categories.join(', ')}`);
  if (task.location) lines.push(`Location: ${task.location}`);
  if (subtasks.length > 0) {
    lines.push('Subtasks:');
    for (const subtask of subtasks.slice(0, MAX_SUBTASKS))
      lines.push(`- [${subtask.done ? 'x' : ' '}] ${subtask.summary ?? 'Untitled task'}`);
    if (subtasks.length > MAX_SUBTASKS) lines.push(`… and ${subtasks.length - MAX_SUBTASKS} more`);
  }
  if (task.description) lines.push('', task.description);
  return {
    title: task.summary ?? 'Untitled task',
    text: lines.join('\n'),
    url: webLinks(context.webRoot).task(target.list.id, target.name),
    metadata: withoutMissing({
      source: 'tasks',
      list: listName,
      status,
      due: task.due?.value,
      priority: task.priority,
      subtasks: subtasks.length,
      uid: task.uid,
    }),
  };
}

export async function fetchNote(item: Extract<ItemId, { kind: 'note' }>, context: ToolContext): Promise<Item> {
  const note = await visibleNote(context, await NoteScope.of(context), item.noteId);
  context.audit(note.internalPath);
  return {
    title: note.title,
    text: note.content,
    url: webLinks(context.webRoot).note(note.id),
    metadata: withoutMissing({
      source: 'notes',
      category: note.category || undefined,
      path: note.internalPath,
      modified: new Date(note.modified * 1000).toISOString(),
      favorite: note.favorite,
      readonly: note.readonly,
    }),
  };
}

export async function fetchCard(item: Extract<ItemId, { kind: 'card' }>, context: ToolContext): Promise<Item> {
  context.audit(cardTarget(item.boardId, item.cardId));
  const { board, stack, ref } = await locateCard(context, item.boardId, item.cardId);
  const card = await context.user.deck.card(ref);
  if (card.deleted) throw new ToolError('not_found', `Card ${card.id} on Deck board '${board.title}' has been deleted.`);
  const done = card.done !== null;
  const lines = [`Card: ${card.title}`, `Board: ${board.title}`, `List: ${stack.title}`];
  if (card.duedate) lines.push(`Due: ${card.duedate}`);
  if (card.startdate) lines.push(`Starts: ${card.startdate}`);
  if (done) lines.push(`Done: ${card.done}`);
  if (card.archived) lines.push('Archived: yes');
  if (card.labels.length > 0) lines.push(`Labels: ${card.labels.map((label) => label.title).join(', ')}`);
  if (card.assignees.length > 0) lines.push(`Assigned to: ${card.assignees.map((person) => person.name).join(', ')}`);
  if (card.description) lines.push('', card.description);
  return {
    title: card.title,
    text: lines.join('\n'),
    url: webLinks(context.webRoot).card(card.id),
    metadata: withoutMissing({
      source: 'deck',
      board: board.title,
      list: stack.title,
      due: card.duedate,
      done,
      archived: card.archived,
    }),
  };
}
