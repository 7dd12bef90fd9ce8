// Deletes a card the way Deck does: softly, so it stays restorable from the board's deleted items in Deck.
import { z } from 'zod';
import { defineTool } from '../tool.js';
import type { ToolContext } from '../tool.js';
import { boardIdInput, cardIdInput, cardTarget, locateCard, requireEditable } from './common.js';
import type { LocatedCard } from './common.js';

const input = z.object({ boardId: boardIdInput, cardId: cardIdInput });

/** The card to delete, refused before anything is asked or sent when the user cannot delete it. */
async function deletable(args: z.infer<typeof input>, context: ToolContext): Promise<LocatedCard> {
  const located = await locateCard(context, args.boardId, args.cardId);
  requireEditable(located.board, context.userId);
  return located;
}

export const deckDeleteCard = defineTool({
  name: 'deck_delete_card',
  title: 'Delete a Deck card',
  description:
    'Deletes a Deck card on a board the user may edit. Deck keeps deleted cards: the person can restore it from the board’s deleted items in Deck. ' +
    'Ask the person before deleting a card they did not clearly ask to delete; to only hide a finished card, use deck_archive_card.',
  scopes: { allOf: ['deck.write'] },
  app: 'deck',
  input,
  output: z.object({
    id: z.number().int(),
    title: z.string(),
    board: z.string(),
    list: z.string(),
    message: z.string(),
  }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  async plan(args, context) {
    const { board, stack, card } = await deletable(args, context);
    return `Deletes the Deck card '${card.title}' (list '${stack.title}') from board '${board.title}'. Deck keeps it among the board's deleted items, from where it can be restored.`;
  },
  async run(args, context) {
    context.audit(cardTarget(args.boardId, args.cardId));
    const { board, stack, card, ref } = await deletable(args, context);
    await context.user.deck.deleteCard(ref);
    return {
      structured: {
        id: card.id,
        title: card.title,
        board: board.title,
        list: stack.title,
        message: `Deck card '${card.title}' was deleted from board '${board.title}'; it can be restored from the board's deleted items in Deck.`,
      },
    };
  },
});
