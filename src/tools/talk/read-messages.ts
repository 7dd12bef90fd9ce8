// A page of one conversation's history. lib asks Talk not to move the read marker or clear notifications, so
// the person still sees as unread whatever they had not read themselves.
import { z } from 'zod';
import type { TalkMessage } from '../../../lib/index.js';
import { withoutMissing } from '../absent.js';
import { READS_ONLY, defineTool } from '../tool.js';
import { isSystemMessage, messageOutput, toMessageOutput, tokenInput } from './common.js';

/** Talk pages that hold only skipped system messages are followed this many times before answering short. */
const MAX_REQUESTS = 4;

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
    before: z.number().int().positive().optional().describe('Only messages older than this message id: the nextBefore of the previous page. Leave out for the newest messages.'),
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
    const conversation = await talk.conversation(input.token);
    const collected: TalkMessage[] = [];
    let cursor: number | null | undefined = input.before;
    for (let request = 0; request < MAX_REQUESTS && collected.length < input.limit; request++) {
      const page: { messages: TalkMessage[]; nextLastKnownMessageId: number | null } = await talk.messages(input.token, { limit: input.limit - collected.length, lastKnownMessageId: cursor });
      collected.push(...page.messages.filter((message) => input.includeSystemMessages || !isSystemMessage(message)));
      cursor = page.nextLastKnownMessageId;
      if (cursor === null) break;
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
