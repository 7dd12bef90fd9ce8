// Changes only what the caller names. Deck replaces a card whole on update; the client reads the card and sends
// every field back, and labels and assignees go through their own calls, so nothing else is lost.
import { z } from 'zod';
import { ToolError, defineTool, namedFieldsOnly } from '../tool.js';
import {
  boardIdInput,
  cardIdInput,
  cardOutput,
  cardTarget,
  cardTitleInput,
  descriptionInput,
  dueDateInput,
  labelRefsInput,
  locateCard,
  requireEditable,
  resolveLabels,
  resolveUsers,
  toCardOutput,
  userRefsInput,
} from './common.js';
import type { DeckCard, DeckCardChanges } from '../../../lib/deck.js';

export const deckUpdateCard = defineTool({
  name: 'deck_update_card',
  title: 'Update a Deck card',
  description:
    'Changes a Deck card on a board the user may edit: only the fields given change, everything else stays. ' +
    'Can rename, replace the description, set or clear the due date, mark done or not done, and add or remove labels and assignees. ' +
    'Use deck_move_card to move it to another list and deck_archive_card to archive it.',
  scopes: { allOf: ['deck.write'] },
  app: 'deck',
  input: z.object({
    boardId: boardIdInput,
    cardId: cardIdInput,
    title: cardTitleInput.optional().describe('New title.'),
    description: descriptionInput.optional().describe('New description (Markdown); replaces the old one. "" empties it.'),
    dueDate: dueDateInput.optional().describe('New due date: ISO 8601 with an offset or a date.'),
    clearDueDate: z.boolean().optional().describe('true removes the due date.'),
    done: z.boolean().optional().describe('true marks the card done (now), false marks it not done.'),
    addLabels: labelRefsInput.optional().describe('Labels of the board to add, by title or id.'),
    removeLabels: labelRefsInput.optional().describe('Labels to remove, by title or id.'),
    addAssignees: userRefsInput.optional().describe('People on the board to assign, by user id or display name.'),
    removeAssignees: userRefsInput.optional().describe('People to unassign, by user id or display name.'),
  }),
  output: cardOutput.extend({ changed: z.array(z.string()).describe('What this call changed; empty when the card already was so.') }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  plan: namedFieldsOnly,
  async run(input, context) {
    if (input.dueDate !== undefined && input.clearDueDate) throw new ToolError('invalid_input', 'Give dueDate or clearDueDate, not both.');
    const deck = context.user.deck;
    context.audit(cardTarget(input.boardId, input.cardId));
    const { board, stack, card, ref } = await locateCard(context, input.boardId, input.cardId);
    requireEditable(board, context.userId);
    if (card.archived)
      throw new ToolError('not_allowed', `Deck card '${card.title}' is archived; unarchive it with deck_archive_card before changing it.`);

    const changes = fieldChanges(input, card);
    const changed: string[] = Object.keys(changes).map((key) => FIELD_NAMES[key as keyof DeckCardChanges]);

    const labelsNow = new Set(card.labels.map((label) => label.id));
    const addLabels = resolveLabels(board, input.addLabels ?? []).filter((id) => !labelsNow.has(id));
    const removeLabels = resolveLabels(board, input.removeLabels ?? []).filter((id) => labelsNow.has(id));
    const assigned = new Set(card.assignees.filter((person) => person.type === 'user').map((person) => person.id));
    const addUsers = resolveUsers(board, input.addAssignees ?? []).filter((id) => !assigned.has(id));
    // Someone no longer on the board can still be unassigned, so these are matched against the card too.
    const removeUsers = (input.removeAssignees ?? [])
      .map((ref) => card.assignees.find((person) => person.id === ref || person.name.toLowerCase() === ref.toLowerCase())?.id ?? ref)
      .filter((id) => assigned.has(id));

    if (Object.keys(changes).length > 0) await deck.updateCard(ref, changes);
    for (const id of new Set(addLabels)) await deck.assignLabel(ref, id);
    for (const id of new Set(removeLabels)) await deck.removeLabel(ref, id);
    for (const id of new Set(addUsers)) await deck.assignUser(ref, id);
    for (const id of new Set(removeUsers)) await deck.unassignUser(ref, id);
    if (addLabels.length + removeLabels.length > 0) changed.push('labels');
    if (addUsers.length + removeUsers.length > 0) changed.push('assignees');

    const now = changed.length > 0 ? await deck.card(ref) : card;
    return { structured: { ...toCardOutput(now, board, stack.title), changed } };
  },
});

const FIELD_NAMES: Record<keyof DeckCardChanges, string> = {
  title: 'title',
  description: 'description',
  duedate: 'dueDate',
  startdate: 'startDate',
  done: 'done',
};

/** The card fields the input sets to something they are not already. */
function fieldChanges(
  input: { title?: string; description?: string; dueDate?: string; clearDueDate?: boolean; done?: boolean },
  card: DeckCard,
): DeckCardChanges {
  const changes: DeckCardChanges = {};
  if (input.title !== undefined && input.title !== card.title) changes.title = input.title;
  if (input.description !== undefined && input.description !== card.description) changes.description = input.description;
  if (input.dueDate !== undefined && Date.parse(input.dueDate) !== Date.parse(card.duedate ?? '')) changes.duedate = input.dueDate;
  if (input.clearDueDate && card.duedate !== null) changes.duedate = null;
  if (input.done !== undefined && input.done !== (card.done !== null)) changes.done = input.done ? new Date().toISOString() : null;
  return changes;
}
