// A page of one conversation's history. lib asks Talk not to move the read marker or clear notifications, so
// the person still sees as unread whatever they had not read themselves.
import { z } from 'zod';
import type { TalkMessage } from '../../../lib/index.js';
import { withoutMissing } from '../absent.js';
import { READS_ONLY, defineTool } from '../tool.js';
import { isSystemMessage, messageOutput, opensHistory, toMessageOutput, tokenInput } from './common.js';

/** Talk pages that hold only skipped system messages are followed this many times before answering short. */
const MAX_REQUESTS = 4;
/** Talk answers at most this many messages per request (contract 3.3). */
const TALK_MAX_PAGE = 200;

/**
 * How many messages to ask Talk for when `wanted` are still missing: twice as many, because system messages (left
 * out unless asked for) and the ones Talk does not show (reactions, edits, expired messages) take up room in its
 * pages too. One request then nearly always brings enough; what is left over is not returned.
 */
const pageSize = (wanted: number) => Math.min(TALK_MAX_PAGE, wanted * 2);

export const readMessages = defineTool({
  name: 'talk_read_messages',
  title: 'Read Talk messages',
  description:
    'Reads messages of one Talk conversation, newest page first, returned oldest to newest within the page. ' +
    'To go further back, call again with before = nextBefore. Reading does not mark messages as read and does not clear notifications. ' +
    'System messages (someone joined, a call started) are left out unless includeSystemMessages is true.',
  scopes: { allOf: ['talk.read'] },
  input: z.object({
    token: tokenInput,
    limit: z.number().int().min(1).max(100).default(30).describe('How many messages at most (1-100, default 30).'),
    before: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('Only messages older than this message id: the nextBefore of the previous page. Leave out for the newest messages.'),
    includeSystemMessages: z.boolean().default(false).describe('true also returns system messages, marked with "system".'),
  }),
  output: z.object({
    token: z.string(),
    conversation: z.string().describe('The conversation name.'),
    messages: z.array(messageOutput).describe('Oldest first.'),
    nextBefore: z.number().int().optional().describe('Pass as before for the page of older messages; absent when there are none.'),
  }),
  annotations: READS_ONLY,
  async run(input, context) {
    const talk = context.user.talk;
    context.audit(input.token);
    const collected: TalkMessage[] = [];
    const pageBelow = (lastKnownMessageId: number | undefined) =>
      talk.messages(input.token, { limit: pageSize(input.limit - collected.length), lastKnownMessageId });
    // The conversation's name comes from its room, asked for together with the first page rather than before it.
    // When both fail (no such conversation, or not a participant), the room's answer is the one reported.
    const [room, first] = await Promise.allSettled([talk.conversation(input.token), pageBelow(input.before)]);
    if (room.status === 'rejected') throw room.reason;
    if (first.status === 'rejected') throw first.reason;
    const conversation = room.value;
    let page = first.value;
    let cursor: number | null;
    for (let request = 1; ; request++) {
      const wanted = input.limit - collected.length;
      const shown = page.messages.filter((message) => input.includeSystemMessages || !isSystemMessage(message));
      collected.push(...shown.slice(0, wanted));
      if (shown.length > wanted) {
        // More than needed: the next page starts below the oldest message returned.
        cursor = collected.at(-1)!.id;
        break;
      }
      // Talk's pages may come back short while older messages exist (the ones it does not show still count), so
      // only the end of the history (304) or the message that opens it says there is nothing further back.
      cursor = opensHistory(page) ? null : page.nextLastKnownMessageId;
      if (cursor === null || collected.length >= input.limit || request >= MAX_REQUESTS) break;
      page = await pageBelow(cursor);
    }
    return {
      structured: withoutMissing({
        token: input.token,
        conversation: conversation.displayName,
        messages: collected.reverse().map(toMessageOutput),
        nextBefore: cursor,
      }),
    };
  },
});
