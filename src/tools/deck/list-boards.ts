// The Deck boards the user can see: their own and those shared with them, with whether they may change cards there.
import { z } from 'zod';
import { READS_ONLY, defineTool } from '../tool.js';

export const deckListBoards = defineTool({
  name: 'deck_list_boards',
  title: 'List Deck boards',
  description:
    "Lists the user's Nextcloud Deck boards (kanban boards): their own and those shared with them. " +
    'Use it to find a board id for deck_get_board. canEdit tells whether the user may create and change cards on the board.',
  scopes: { allOf: ['deck.read'] },
  app: 'deck',
  input: z.object({
    includeArchived: z.boolean().default(false).describe('true also lists archived boards.'),
  }),
  output: z.object({
    boards: z.array(
      z.object({
        id: z.number().int(),
        title: z.string(),
        owner: z.string().describe('User id of the owner.'),
        ownerName: z.string(),
        archived: z.boolean(),
        canEdit: z.boolean().describe('The user may create, change, move, archive and delete cards here.'),
      }),
    ),
  }),
  annotations: READS_ONLY,
  async run(input, context) {
    const boards = await context.user.deck.boards();
    return {
      structured: {
        boards: boards
          .filter((board) => input.includeArchived || !board.archived)
          .map((board) => ({
            id: board.id,
            title: board.title,
            owner: board.owner,
            ownerName: board.ownerName,
            archived: board.archived,
            canEdit: board.canEdit && !board.archived,
          })),
      },
    };
  },
});
