// Posts as the user. The conversation is checked first so a read-only room gets a refusal that names it,
// and Talk's own 403 (the room changed in between) is worded the same way.
import { z } from 'zod';
import { isNextcloudError } from '../../../lib/index.js';
import { withoutMissing } from '../absent.js';
import { ToolError, WELL_FORMED, defineTool } from '../tool.js';
import { isoTime, postingRefusal, tokenInput } from './common.js';

/** config.chat.max-length of a default Talk; longer messages are refused by Talk with 413. */
const MAX_LENGTH = 32_000;

export const sendMessage = defineTool({
  name: 'talk_send_message',
  title: 'Send a Talk message',
  description:
    'Sends a message to a Talk conversation as the user; everyone in the conversation sees it and may be notified. ' +
    'Only send what the user asked to send. Mention people with @userid. Fails in read-only conversations.',
  scopes: { allOf: ['talk.write'] },
  input: z.object({
    token: tokenInput,
    message: z
      .string()
      .min(1)
      .max(MAX_LENGTH)
      .refine(...WELL_FORMED)
      .refine((text) => text.trim() !== '', 'the message is empty')
      .describe('The text to post (Markdown is rendered by Talk).'),
    replyTo: z.number().int().positive().optional().describe('Id of a message in the same conversation to reply to.'),
  }),
  output: z.object({
    token: z.string(),
    conversation: z.string(),
    messageId: z.number().int(),
    time: z.string().optional(),
    text: z.string(),
    replyTo: z.number().int().optional(),
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  async plan(input, context) {
    const conversation = await context.user.talk.conversation(input.token);
    const refusal = postingRefusal(conversation, context.userId);
    if (refusal) throw new ToolError('not_allowed', refusal);
    const preview = input.message.length > 500 ? `${input.message.slice(0, 500)}…` : input.message;
    return `Sends this message as ${context.userId} to the Talk conversation "${conversation.displayName}", where everyone in it sees it and may be notified:\n\n${preview}`;
  },
  async run(input, context) {
    const talk = context.user.talk;
    let conversation;
    let sent;
    try {
      conversation = await talk.conversation(input.token);
      const refusal = postingRefusal(conversation, context.userId);
      if (refusal) throw new ToolError('not_allowed', refusal);
      sent = await talk.send(input.token, input.message, input.replyTo === undefined ? {} : { replyTo: input.replyTo });
    } catch (error) {
      // A refused attempt is audited by the conversation it aimed at; a sent one by the message it created.
      context.audit(input.token);
      if (conversation && isNextcloudError(error) && error.code === 'forbidden') {
        throw new ToolError(
          'not_allowed',
          `Talk conversation '${conversation.displayName}' is read-only or ${context.userId} lacks the chat permission there; ${context.userId} cannot post there.`,
        );
      }
      throw error;
    }
    context.audit(`${input.token}#${sent.id}`);
    return {
      structured: withoutMissing({
        token: input.token,
        conversation: conversation.displayName,
        messageId: sent.id,
        time: isoTime(sent.timestamp),
        text: sent.text,
        replyTo: sent.replyTo,
      }),
    };
  },
});
