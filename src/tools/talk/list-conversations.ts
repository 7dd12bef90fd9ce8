// The user's Talk conversations with what needs attention (unread, mentions) first in mind.
import { z } from 'zod';
import { withoutMissing } from '../absent.js';
import { READS_ONLY, defineTool } from '../tool.js';
import { conversationType, isoTime } from './common.js';

export const listConversations = defineTool({
  name: 'talk_list_conversations',
  title: 'List Talk conversations',
  description:
    "Lists the user's Nextcloud Talk conversations, most recently active first, with unread counts and whether the user was mentioned. " +
    'Use it to find a conversation token for talk_read_messages, talk_send_message or talk_search_messages, or to see what is unread. ' +
    'Looking does not mark anything as read.',
  scopes: { allOf: ['talk.read'] },
  input: z.object({
    onlyUnread: z.boolean().default(false).describe('true lists only conversations with unread messages.'),
  }),
  output: z.object({
    conversations: z.array(
      z.object({
        token: z.string().describe('Identifies the conversation in the other Talk tools.'),
        name: z.string().describe('The name Talk shows (for one-to-one: the other person).'),
        type: z.string().describe('one-to-one, group, public, changelog, former one-to-one, note-to-self or other.'),
        description: z.string(),
        unreadMessages: z.number().int(),
        unreadMention: z.boolean().describe('The user was mentioned in an unread message.'),
        lastActivity: z.string().optional().describe('Time of the last message, ISO 8601 UTC.'),
        canPost: z.boolean().describe('Whether the user may send messages here.'),
        readOnly: z.boolean().describe('The conversation is locked: nobody can post.'),
      }),
    ),
  }),
  annotations: READS_ONLY,
  async run(input, context) {
    const rooms = await context.user.talk.conversations();
    const conversations = rooms
      .filter((room) => !input.onlyUnread || room.unreadMessages > 0)
      .sort((a, b) => b.lastActivity - a.lastActivity)
      .map((room) =>
        withoutMissing({
          token: room.token,
          name: room.displayName,
          type: conversationType(room.type),
          description: room.description,
          unreadMessages: room.unreadMessages,
          unreadMention: room.unreadMention,
          lastActivity: isoTime(room.lastActivity),
          canPost: room.canPost,
          readOnly: room.readOnly,
        }),
      );
    return { structured: { conversations } };
  },
});
