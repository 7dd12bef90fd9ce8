// One Deck card in full: description, dates, labels, assignees, the list it is in.
import { z } from 'zod';
import { READS_ONLY, defineTool } from '../tool.js';
import { boardIdInput, cardIdInput, cardOutput, cardTarget, locateCard, toCardOutput } from './common.js';

export const deckGetCard = defineTool({
  name: 'deck_get_card',
  title: 'Get a Deck card',
  description: 'Reads one Deck card in full: title, description (Markdown), due date, done, labels, assignees and the list it is in.',
  scopes: { allOf: ['deck.read'] },
  app: 'deck',
  input: z.object({ boardId: boardIdInput, cardId: cardIdInput }),
  output: cardOutput,
  annotations: READS_ONLY,
  async run(input, context) {
    context.audit(cardTarget(input.boardId, input.cardId));
    const { board, stack, ref } = await locateCard(context, input.boardId, input.cardId);
    const card = await context.user.deck.card(ref);
    return { structured: toCardOutput(card, board, stack.title) };
  },
});
