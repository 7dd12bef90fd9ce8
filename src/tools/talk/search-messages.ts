// Message search through Talk's unified search provider: Talk has no chat search endpoint of its own (contract 3.6).
import { z } from 'zod';
import { withoutMissing } from '../absent.js';
import { READS_ONLY, ToolError, WELL_FORMED, defineTool } from '../tool.js';
import { isoTime, tokenInput } from './common.js';

/** Unified search clamps larger limits to this on current servers (contract 5.2). */
const MAX_LIMIT = 25;

export const searchMessages = defineTool({
  name: 'talk_search_messages',
  title: 'Search Talk messages',
  description:
    "Searches the text of messages in the user's Talk conversations (all of them, or one), newest first. " +
    'Matches a word or phrase as written (no wildcards). Use talk_read_messages with the conversation token to see a result in context. ' +
    'For more results call again with cursor = nextCursor.',
  scopes: { allOf: ['talk.read'] },
  input: z.object({
    term: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .refine(...WELL_FORMED)
      .describe('Text to look for in messages, e.g. "invoice".'),
    conversation: tokenInput.optional().describe('Limit the search to this conversation token; leave out to search every conversation.'),
    limit: z.number().int().min(1).max(MAX_LIMIT).default(10).describe(`How many results at most (1-${MAX_LIMIT}, default 10).`),
    cursor: z
      .string()
      .max(100)
      .refine(...WELL_FORMED)
      .optional()
      .describe('The nextCursor of the previous call, unchanged; leave out for the first page.'),
  }),
  output: z.object({
    results: z.array(
      z.object({
        conversation: z.string().describe('Token of the conversation the message is in.'),
        conversationName: z.string(),
        messageId: z.number().int(),
        author: z.string(),
        authorId: z.string(),
        time: z.string().optional().describe('ISO 8601 UTC.'),
        excerpt: z.string().describe('The message text (cut to start near the match when long).'),
      }),
    ),
    nextCursor: z.string().optional().describe('Pass as cursor for more results; absent when there are no more.'),
  }),
  annotations: READS_ONLY,
  async run(input, context) {
    if (input.conversation) context.audit(input.conversation);
    const rooms = await context.user.talk.conversations();
    const names = new Map(rooms.map((room) => [room.token, room.displayName]));
    // Talk's provider answers an empty list for a conversation the user is not in; say so instead.
    if (input.conversation && !names.has(input.conversation)) {
      throw new ToolError('not_found', `Talk conversation ${input.conversation} does not exist or ${context.userId} is not a participant.`);
    }
    const found = await context.user.search('talk-message', {
      term: input.term,
      limit: input.limit,
      cursor: input.cursor,
      filters: input.conversation ? { conversation: input.conversation } : undefined,
    });
    const results = found.entries.flatMap((entry) => {
      const token = entry.attributes.conversation;
      const messageId = Number(entry.attributes.messageId);
      if (!token || !Number.isInteger(messageId)) return [];
      const conversationName = names.get(token) ?? '';
      // The provider titles an entry "Author in Conversation" except in one-to-one or single-conversation searches.
      const suffix = ` in ${conversationName}`;
      const author = conversationName && entry.title.endsWith(suffix) ? entry.title.slice(0, -suffix.length) : entry.title;
      return [
        withoutMissing({
          conversation: token,
          conversationName,
          messageId,
          author,
          authorId: entry.attributes.actorId ?? '',
          time: isoTime(Number(entry.attributes.timestamp) || 0),
          excerpt: entry.subline,
        }),
      ];
    });
    // Paginated providers keep handing out a cursor after the last page; a short page means the end (contract 5.2).
    const more = found.isPaginated && found.cursor !== null && found.entries.length >= input.limit;
    return { structured: withoutMissing({ results, nextCursor: more ? String(found.cursor) : null }) };
  },
});
