// The ids `search` hands out and `fetch` takes back. They name a thing in the caller's own view of Nextcloud
// (a path in their files, an event in a calendar of theirs, a conversation they are in), never a URL: `fetch`
// resolves them again as whoever calls it, with every check, so an id is only as good as the caller's own access.
import { TALK_TOKEN } from '../../../lib/index.js';
import { webUrlOf } from '../files/shared.js';
import { ToolError } from '../tool.js';

export type ItemId =
  | { kind: 'file'; path: string }
  /** The calendar tools' own event id ("personal/standup.ics"), which resolveEvent checks and resolves. */
  | { kind: 'event'; eventId: string }
  | { kind: 'talk'; token: string; messageId: number };

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
  throw invalid();
}

/** Links into the Nextcloud web UI, where a person opens what the model cites. */
export function webLinks(webRoot: string) {
  const root = webRoot.replace(/\/+$/, '');
  return {
    file: (fileId: number | null, path: string) => webUrlOf({ webRoot }, { fileId, path }),
    calendar: () => `${root}/index.php/apps/calendar`,
    talk: (token: string, messageId: number) => `${root}/index.php/call/${token}#message_${messageId}`,
  };
}
