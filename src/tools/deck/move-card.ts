// Moves a card to another list of its board (or to another place in its own list).
import { z } from 'zod';
import { ToolError, defineTool } from '../tool.js';
import { boardIdInput, cardIdInput, cardOutput, cardTarget, listIdInput, locateCard, requireEditable, toCardOutput } from './common.js';
import { listOf } from './lists.js';

export const deckMoveCard = defineTool({
  name: 'deck_move_card',
  title: 'Move a Deck card',
  description:
    'Moves a Deck card to another list (column) of the same board, e.g. from "To do" to "Doing", at the bottom or at a given position. ' +
    'Only on boards the user may edit.',
  scopes: { allOf: ['deck.write'] },
  app: 'deck',
  input: z.object({
    boardId: boardIdInput,
    cardId: cardIdInput,
    toListId: listIdInput.describe('The list to move the card to, as deck_get_board returns it; may be its own list to reorder it.'),
    position: z.number().int().min(0).optional().describe('0 puts it at the top; left out, it goes to the bottom.'),
  }),
  output: cardOutput.extend({ fromList: z.string() }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async run(input, context) {
    context.audit(cardTarget(input.boardId, input.cardId));
    const { board, stacks, stack, card, ref } = await locateCard(context, input.boardId, input.cardId);
    requireEditable(board, context.userId);
    if (card.archived)
      throw new ToolError('not_allowed', `Deck card '${card.title}' is archived; unarchive it with deck_archive_card before moving it.`);
    const target = listOf(board, stacks, input.toListId);
    const others = target.cards.filter((candidate) => candidate.id !== card.id).length;
    const moved = await context.user.deck.moveCard(ref, target.id, Math.min(input.position ?? others, others));
    return { structured: { ...toCardOutput(moved, board, target.title), fromList: stack.title } };
  },
});
