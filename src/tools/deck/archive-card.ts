// Archives a card (hidden from its list, kept with the board's archived cards) or brings it back.
import { z } from 'zod';
import { defineTool } from '../tool.js';
import { boardIdInput, cardIdInput, cardOutput, cardTarget, locateCard, requireEditable, toCardOutput } from './common.js';

export const deckArchiveCard = defineTool({
  name: 'deck_archive_card',
  title: 'Archive or unarchive a Deck card',
  description:
    'Archives a Deck card, which hides it from its list but keeps it (deck_get_board with includeArchivedCards shows it), ' +
    'or unarchives it with archived=false. Only on boards the user may edit.',
  scopes: { allOf: ['deck.write'] },
  app: 'deck',
  input: z.object({
    boardId: boardIdInput,
    cardId: cardIdInput,
    archived: z.boolean().default(true).describe('true archives, false unarchives.'),
  }),
  output: cardOutput.extend({ changed: z.boolean().describe('false when the card already was in that state.') }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async run(input, context) {
    context.audit(cardTarget(input.boardId, input.cardId));
    const { board, stack, card, ref } = await locateCard(context, input.boardId, input.cardId);
    requireEditable(board, context.userId);
    if (card.archived === input.archived) return { structured: { ...toCardOutput(card, board, stack.title), changed: false } };
    const now = await context.user.deck.setArchived(ref, input.archived);
    return { structured: { ...toCardOutput(now, board, stack.title), changed: true } };
  },
});
