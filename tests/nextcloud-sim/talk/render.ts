// Names and texts as a given viewer sees them: conversation display names, system message wording, and the
// plain text with placeholders substituted (what Talk's own search provider shows).
import type { SimState, TalkMessage, TalkRoom } from '../context.js';
import { parseMentions } from './mentions.js';
import type { RichObject } from './mentions.js';

export function userDisplayName(state: SimState, userId: string): string {
  return state.users.get(userId)?.displayName ?? userId;
}

/** `displayName` of a conversation: one-to-one rooms are named after the other person. */
export function roomDisplayName(state: SimState, room: TalkRoom, viewerId: string): string {
  if (room.type !== 1 && room.type !== 5) return room.name;
  const other = oneToOneUserIds(room).find((userId) => userId !== viewerId);
  return other ? userDisplayName(state, other) : room.name;
}

/** One-to-one rooms are named with the JSON list of both user ids (Talk's internal identifier). */
export function oneToOneRoomName(userIds: [string, string]): string {
  return JSON.stringify([...userIds].sort());
}

function oneToOneUserIds(room: TalkRoom): string[] {
  try {
    const parsed: unknown = JSON.parse(room.name);
    if (Array.isArray(parsed)) return parsed.map(String);
  } catch {
    // Not a JSON list: fall back to the attendees.
  }
  return room.participants.map((participant) => participant.userId);
}

/** System messages the simulator produces: [as others see it, as the actor sees it]. */
const SYSTEM_TEXTS: Record<string, [string, string]> = {
  conversation_created: ['{actor} created the conversation', 'You created the conversation'],
};

export interface RenderedMessage {
  message: string;
  parameters: Record<string, RichObject>;
}

/** The message with {placeholders} and its rich objects, as the Talk API returns it to this viewer. */
export function renderForViewer(state: SimState, room: TalkRoom, message: TalkMessage, viewerId: string): RenderedMessage {
  if (message.messageType === 'system') {
    const texts = SYSTEM_TEXTS[message.systemMessage];
    const text = texts ? (message.actorId === viewerId ? texts[1] : texts[0]) : message.message;
    return { message: text, parameters: { ...message.messageParameters } };
  }
  const mentions = parseMentions(state, room, message.message, roomDisplayName(state, room, viewerId));
  return { message: mentions.message, parameters: { ...message.messageParameters, ...mentions.parameters } };
}

/** Placeholders replaced by their names, users with a leading @ (MessageSearch::commentToSearchResultEntry). */
export function substitutePlaceholders(rendered: RenderedMessage): string {
  let text = rendered.message;
  for (const [key, parameter] of Object.entries(rendered.parameters)) {
    text = text.replaceAll(`{${key}}`, parameter.type === 'user' ? `@${parameter.name}` : (parameter.name ?? ''));
  }
  return text;
}
