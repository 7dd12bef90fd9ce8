// A new card on a list of a board the user may edit, with its labels and assignees in the same call.
import { z } from 'zod';
import { defineTool } from '../tool.js';
import {
  boardIdInput,
  cardOutput,
  cardTarget,
  cardTitleInput,
  descriptionInput,
  dueDateInput,
  labelRefsInput,
  listIdInput,
  requireEditable,
  resolveLabels,
  resolveUsers,
  toCardOutput,
  userRefsInput,
} from './common.js';
import { listOf } from './lists.js';

export const deckCreateCard = defineTool({
  name: 'deck_create_card',
  title: 'Create a Deck card',
  description:
    'Creates a card at the bottom of a list on a Deck board the user may edit (deck_get_board gives list ids, labels and people). ' +
    'Labels are named by title or id and must exist on the board; assignees must be people on the board.',
  scopes: { allOf: ['deck.write'] },
  app: 'deck',
  input: z.object({
    boardId: boardIdInput,
    listId: listIdInput,
    title: cardTitleInput.describe('The card title (at most 255 characters).'),
    description: descriptionInput.optional(),
    dueDate: dueDateInput.optional().describe('Due date: ISO 8601 with an offset (2030-03-01T09:00:00Z) or a date (2030-03-01).'),
    labels: labelRefsInput.optional().describe('Labels of the board, by title or id.'),
    assignees: userRefsInput.optional().describe('People on the board, by user id or display name.'),
  }),
  output: cardOutput,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async run(input, context) {
    const deck = context.user.deck;
    const [board, stacks] = await Promise.all([deck.board(input.boardId), deck.stacks(input.boardId)]);
    requireEditable(board, context.userId);
    const list = listOf(board, stacks, input.listId);
    const card = await deck.createCard(board.id, list.id, {
      title: input.title,
      description: input.description,
      duedate: input.dueDate,
      labelIds: resolveLabels(board, input.labels ?? []),
      assignees: resolveUsers(board, input.assignees ?? []),
    });
    context.audit(cardTarget(board.id, card.id));
    return { structured: toCardOutput(card, board, list.title) };
  },
});
