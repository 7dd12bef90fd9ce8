// The ids `search` hands out and `fetch` takes back. They name a thing in the caller's own view of Nextcloud
// (a path in their files, an event in a calendar of theirs, a conversation they are in, a contact in an address
// book, a task in a list or a card on a Deck board they see, a note by the Notes app's id), never a URL: `fetch`
// resolves them again as whoever calls it, with every check, so an id is only as good as the caller's own access.
import { TALK_TOKEN } from '../../../lib/index.js';
import { webUrlOf } from '../files/shared.js';
import { ToolError } from '../tool.js';

export type ItemId =
  | { kind: 'file'; path: string }
  /** The calendar tools' own event id ("personal/standup.ics"), which resolveEvent checks and resolves. */
  | { kind: 'event'; eventId: string }
  | { kind: 'talk'; token: string; messageId: number }
  /** An address book and a card in it, each one path segment below the caller's address-book home. */
  | { kind: 'contact'; addressBook: string; name: string }
  /** A task list (calendar) id and an object in it, each one path segment below the caller's calendar home. */
  | { kind: 'task'; listId: string; name: string }
  | { kind: 'note'; noteId: number }
  | { kind: 'card'; boardId: number; cardId: number };

/** One path segment: never empty, "." or "..", a slash, a backslash or a control character. */
const SEGMENT = /^(?!\.\.?$)[^/\\\u0000-\u001f\u007f]{1,255}$/;
/** A positive id as Nextcloud's apps number things (a database id). */
const NUMBER = /^[1-9]\d{0,15}$/;

/** "<head>/<tail>" split at its only slash; null when there is none or more than one. */
function pair(rest: string): [string, string] | null {
  const slash = rest.indexOf('/');
  if (slash === -1 || rest.indexOf('/', slash + 1) !== -1) return null;
  return [rest.slice(0, slash), rest.slice(slash + 1)];
}

const positive = (text: string): number | null => (NUMBER.test(text) && Number.isSafeInteger(Number(text)) ? Number(text) : null);

// The kind is everything before the first colon and every id starts with one, so no id of one kind reads as
// another, whatever the calendar, object or file is called.
export function formatId(item: ItemId): string {
  switch (item.kind) {
    case 'file':
      return `file:${item.path}`;
    case 'event':
      return `event:${item.eventId}`;
    case 'talk':
      return `talk:${item.token}/${item.messageId}`;
    case 'contact':
      return `contact:${item.addressBook}/${item.name}`;
    case 'task':
      return `task:${item.listId}/${item.name}`;
    case 'note':
      return `note:${item.noteId}`;
    case 'card':
      return `card:${item.boardId}/${item.cardId}`;
  }
}

export const invalidId = (id: string) =>
  new ToolError('invalid_input', `"${id.slice(0, 200)}" is not an id this connector gave out; use an id from a search result.`);

export function parseId(id: string): ItemId {
  const invalid = () => invalidId(id);
  const colon = id.indexOf(':');
  if (colon === -1) throw invalid();
  const kind = id.slice(0, colon);
  const rest = id.slice(colon + 1);
  if (kind === 'file') {
    if (!rest.startsWith('/')) throw invalid();
    return { kind, path: rest };
  }
  if (kind === 'event') {
    // Whether the rest is a well-formed event id is decided where calendar tools decide it, when fetch resolves it.
    if (rest === '') throw invalid();
    return { kind, eventId: rest };
  }
  if (kind === 'talk') {
    const slash = rest.indexOf('/');
    const [head, tail] = [rest.slice(0, slash), rest.slice(slash + 1)];
    if (slash === -1 || !TALK_TOKEN.test(head) || !/^[1-9]\d{0,15}$/.test(tail)) throw invalid();
    return { kind, token: head, messageId: Number(tail) };
  }
  if (kind === 'contact' || kind === 'task') {
    const parts = pair(rest);
    if (!parts || !parts.every((part) => SEGMENT.test(part))) throw invalid();
    const [head, tail] = parts;
    return kind === 'contact' ? { kind, addressBook: head, name: tail } : { kind, listId: head, name: tail };
  }
  if (kind === 'note') {
    const noteId = positive(rest);
    if (noteId === null) throw invalid();
    return { kind, noteId };
  }
  if (kind === 'card') {
    const [boardId, cardId] = (pair(rest) ?? ['', '']).map(positive);
    if (boardId == null || cardId == null) throw invalid();
    return { kind, boardId, cardId };
  }
  throw invalid();
}

/** Links into the Nextcloud web UI, where a person opens what the model cites. */
export function webLinks(webRoot: string) {
  const root = webRoot.replace(/\/+$/, '');
  return {
    file: (fileId: number | null, path: string) => webUrlOf({ webRoot }, { fileId, path }),
    calendar: () => `${root}/index.php/apps/calendar`,
    talk: (token: string, messageId: number) => `${root}/index.php/call/${token}#message_${messageId}`,
    /** The Contacts app's own link to a card (as its unified search gives it), or the app when the card has no UID. */
    contact: (uid: string | null, addressBook: string) =>
      uid
        ? `${root}/index.php/apps/contacts/direct/contact/${encodeURIComponent(`${uid}~${addressBook}`)}`
        : `${root}/index.php/apps/contacts`,
    task: (listId: string, name: string) =>
      `${root}/index.php/apps/tasks/calendars/${encodeURIComponent(listId)}/tasks/${encodeURIComponent(name)}`,
    note: (noteId: number) => `${root}/index.php/apps/notes/note/${noteId}`,
    card: (cardId: number) => `${root}/index.php/apps/deck/card/${cardId}`,
  };
}
