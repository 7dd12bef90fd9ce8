// Turns @mentions in a posted text into Talk's {mention-…} placeholders and rich objects, as Talk's MessageParser
// does when it renders a comment. The stored text keeps the mentions as typed (that is what Talk searches).
import type { SimState, TalkRoom } from '../context.js';

export type RichObject = Record<string, string>;

export interface ParsedMentions {
  message: string;
  parameters: Record<string, RichObject>;
  /** Users mentioned by id (direct mentions). */
  userIds: string[];
  /** @all was used. */
  mentionsEveryone: boolean;
}

// A mention starts the text or follows whitespace: @id or @"id with spaces" (Talk's comment mention syntax).
const MENTION = /(^|\s)@(?:"([^"]+)"|([a-z0-9_\-@.']+))/gi;

export function parseMentions(state: SimState, room: TalkRoom, text: string, roomName: string): ParsedMentions {
  const parameters: Record<string, RichObject> = {};
  const userIds: string[] = [];
  let mentionsEveryone = false;
  let userCount = 0;
  const message = text.replace(MENTION, (whole, lead: string, quoted: string | undefined, bare: string | undefined) => {
    const typed = quoted ?? bare ?? '';
    if (typed === 'all') {
      mentionsEveryone = true;
      parameters['mention-call1'] = {
        type: 'call',
        id: room.token,
        name: roomName,
        'call-type': room.type === 1 ? 'one2one' : 'group',
        'mention-id': 'all',
      };
      return `${lead}{mention-call1}`;
    }
    const userId = knownUserId(state, typed, quoted !== undefined);
    if (!userId) return whole;
    // A trailing dot or apostrophe after a bare mention is punctuation, not part of the id.
    const rest = quoted === undefined ? typed.slice(userId.length) : '';
    let key = Object.keys(parameters).find((candidate) => parameters[candidate]!.id === userId && parameters[candidate]!.type === 'user');
    if (!key) {
      key = `mention-user${++userCount}`;
      parameters[key] = { type: 'user', id: userId, name: state.users.get(userId)!.displayName, 'mention-id': userId };
      userIds.push(userId);
    }
    return `${lead}{${key}}${rest}`;
  });
  return { message, parameters, userIds, mentionsEveryone };
}

function knownUserId(state: SimState, typed: string, quoted: boolean): string | null {
  if (state.users.has(typed)) return typed;
  if (quoted) return null;
  const trimmed = typed.replace(/[.']+$/, '');
  return trimmed && state.users.has(trimmed) ? trimmed : null;
}
