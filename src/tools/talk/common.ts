// Shapes and wording shared by the Talk tools, so every tool names conversation types, times and authors alike.
import { z } from 'zod';
import type { TalkConversation, TalkMessage } from '../../../lib/index.js';
import { TALK_TOKEN } from '../../../lib/index.js';
import { withoutMissing } from '../absent.js';

/** Talk's room types (contract 3.2) as words a model can reason about instead of numbers. */
const TYPE_WORDS: Record<number, string> = {
  1: 'one-to-one',
  2: 'group',
  3: 'public',
  4: 'changelog',
  5: 'former one-to-one',
  6: 'note-to-self',
};

export function conversationType(type: number): string {
  return TYPE_WORDS[type] ?? 'other';
}

/** Unix seconds as ISO 8601 (UTC); Talk uses 0 for "never". */
export function isoTime(seconds: number): string | null {
  return seconds > 0 ? new Date(seconds * 1000).toISOString() : null;
}

export const tokenInput = z
  .string()
  .regex(TALK_TOKEN, 'a Talk conversation token is 4 to 30 lowercase letters and digits')
  .describe('The conversation token, as talk_list_conversations returns it (e.g. "apollo42x").');

export function authorName(message: Pick<TalkMessage, 'actorType' | 'actorId' | 'actorDisplayName'>): string {
  if (message.actorType === 'guests') return message.actorDisplayName ? `${message.actorDisplayName} (guest)` : 'Guest';
  if (message.actorType === 'deleted_users') return 'Deleted user';
  return message.actorDisplayName || message.actorId;
}

export const messageOutput = z.object({
  id: z.number().int().describe('Message id; pass it as replyTo to answer this message.'),
  author: z.string().describe('Display name of whoever wrote it.'),
  authorId: z.string(),
  authorType: z.string().describe('users, guests, bots, federated_users, ...'),
  time: z.string().describe('When it was posted, ISO 8601 UTC.'),
  text: z.string().describe('The text with mentions and shared objects written out.'),
  replyTo: z.number().int().optional().describe('Id of the message this one answers, if any.'),
  system: z.string().optional().describe('Only on system messages (e.g. conversation_created): an event, not something a person wrote.'),
});
export type MessageOutput = z.infer<typeof messageOutput>;

export function toMessageOutput(message: TalkMessage): MessageOutput {
  return withoutMissing({
    id: message.id,
    author: authorName(message),
    authorId: message.actorId,
    authorType: message.actorType,
    time: isoTime(message.timestamp) ?? new Date(0).toISOString(),
    text: message.text,
    replyTo: message.replyTo,
    ...(message.messageType === 'system' || message.systemMessage ? { system: message.systemMessage || 'system' } : {}),
  });
}

export function isSystemMessage(message: TalkMessage): boolean {
  return message.messageType === 'system' || message.systemMessage !== '';
}

/**
 * System messages that only ever open a conversation's history: Talk posts conversation_created when it creates the
 * conversation and history_cleared right after deleting all of it, so no message of the conversation is older.
 */
const HISTORY_OPENERS: ReadonlySet<string> = new Set(['conversation_created', 'history_cleared']);

/** Whether a history page (newest first) ends with the message that opens the conversation: nothing is older. */
export function opensHistory(page: { messages: readonly TalkMessage[]; nextLastKnownMessageId: number | null }): boolean {
  const oldest = page.messages.at(-1);
  return oldest !== undefined && HISTORY_OPENERS.has(oldest.systemMessage) && oldest.id === page.nextLastKnownMessageId;
}

/** Why the user cannot post, in the words the person would use; null when they can. */
export function postingRefusal(conversation: TalkConversation, userId: string): string | null {
  if (conversation.canPost) return null;
  const name = conversation.displayName || conversation.token;
  if (conversation.readOnly) return `Talk conversation '${name}' is read-only; ${userId} cannot post there.`;
  if (conversation.type === 4) return `Talk conversation '${name}' is a changelog; nobody can post there.`;
  return `${userId} cannot post in Talk conversation '${name}': the chat permission is missing or the lobby is closed to ${userId}.`;
}
