// One Deck board: its lists in order, each with its cards in summary, and the labels and people cards can get.
import { z } from 'zod';
import { READS_ONLY, defineTool } from '../tool.js';
import { boardIdInput, cardSummaryOutput, labelOutput, personOutput, toCardSummary } from './common.js';

export const deckGetBoard = defineTool({
  name: 'deck_get_board',
  title: 'Get a Deck board',
  description:
    'Reads a Deck board: its lists (columns) in order with their cards (title, due date, done, labels, assignees), ' +
    'the labels defined on the board and the people on it. Use deck_get_card for a card’s description and details.',
  scopes: { allOf: ['deck.read'] },
  app: 'deck',
  input: z.object({
    boardId: boardIdInput,
    includeArchivedCards: z.boolean().default(false).describe('true adds the archived cards, marked archived, to their lists.'),
  }),
  output: z.object({
    id: z.number().int(),
    title: z.string(),
    owner: z.string(),
    archived: z.boolean(),
    canEdit: z.boolean().describe('The user may create, change, move, archive and delete cards here.'),
    labels: z.array(labelOutput),
    people: z.array(personOutput).describe('Who cards on this board can be assigned to.'),
    lists: z.array(z.object({ id: z.number().int(), title: z.string(), cards: z.array(cardSummaryOutput) })),
  }),
  annotations: READS_ONLY,
  async run(input, context) {
    const deck = context.user.deck;
    const [board, stacks, archived] = await Promise.all([
      deck.board(input.boardId),
      deck.stacks(input.boardId),
      input.includeArchivedCards ? deck.stacks(input.boardId, { archived: true }) : Promise.resolve([]),
    ]);
    context.audit(`deck/board/${board.id}`);
    return {
      structured: {
        id: board.id,
        title: board.title,
        owner: board.owner,
        archived: board.archived,
        canEdit: board.canEdit && !board.archived,
        labels: board.labels.map((label) => ({ id: label.id, title: label.title })),
        people: board.users,
        lists: stacks.map((stack) => ({
          id: stack.id,
          title: stack.title,
          cards: [...stack.cards, ...(archived.find((candidate) => candidate.id === stack.id)?.cards ?? [])].map(toCardSummary),
        })),
      },
    };
  },
});
