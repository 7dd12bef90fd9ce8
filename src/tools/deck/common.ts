// What the Deck tools share: how a card is found (always through the board it is said to be on, so the board's
// permissions are the ones that apply), refusing changes to read-only or archived boards before Deck is asked, how
// labels and people are named, and the shapes cards are described in. Deck calls its lists "stacks".
import { z } from 'zod';
import type { DeckBoard, DeckCard, DeckCardRef, DeckStack } from '../../../lib/deck.js';
import { withoutMissing } from '../absent.js';
import type { ToolContext } from '../tool.js';
import { ToolError, WELL_FORMED } from '../tool.js';

export const boardIdInput = z.number().int().positive().describe('The board id, as deck_list_boards returns it.');
export const cardIdInput = z.number().int().positive().describe('The card id, as deck_get_board returns it.');
export const listIdInput = z.number().int().positive().describe('The list (column) id, as deck_get_board returns it.');

export const cardTitleInput = z
  .string()
  .trim()
  .min(1)
  .max(255)
  .refine(...WELL_FORMED);
export const descriptionInput = z
  .string()
  .max(100_000)
  .refine(...WELL_FORMED)
  .describe('Markdown.');

/** A date-time with its offset, or a bare date (midnight UTC): never a local time Deck would guess the zone of. */
export const dueDateInput = z
  .string()
  .trim()
  .refine(
    (value) => /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}))?$/i.test(value) && !Number.isNaN(Date.parse(value)),
    'must be an ISO 8601 date-time with an offset (2030-03-01T09:00:00Z, 2030-03-01T10:00:00+01:00) or a date (2030-03-01)',
  );

export const labelRefsInput = z
  .array(
    z.union([
      z.number().int().positive(),
      z
        .string()
        .trim()
        .min(1)
        .max(100)
        .refine(...WELL_FORMED),
    ]),
  )
  .max(50);
export const userRefsInput = z
  .array(
    z
      .string()
      .trim()
      .min(1)
      .max(255)
      .refine(...WELL_FORMED),
  )
  .max(50);

export const labelOutput = z.object({ id: z.number().int(), title: z.string() });
export const personOutput = z.object({ id: z.string(), name: z.string() });

export const cardSummaryOutput = z.object({
  id: z.number().int(),
  title: z.string(),
  dueDate: z.string().optional().describe('ISO 8601, UTC.'),
  done: z.boolean(),
  archived: z.boolean(),
  labels: z.array(z.string()),
  assignees: z.array(z.string()).describe('User ids.'),
});

export const cardOutput = z.object({
  id: z.number().int(),
  boardId: z.number().int(),
  board: z.string(),
  listId: z.number().int(),
  list: z.string(),
  title: z.string(),
  description: z.string(),
  dueDate: z.string().optional().describe('ISO 8601, UTC.'),
  startDate: z.string().optional(),
  done: z.boolean(),
  doneAt: z.string().optional(),
  overdue: z.boolean(),
  archived: z.boolean(),
  deleted: z.boolean(),
  owner: z.string(),
  labels: z.array(labelOutput),
  assignees: z.array(personOutput),
  commentsCount: z.number().int(),
});
export type CardOutput = z.infer<typeof cardOutput>;

export function toCardSummary(card: DeckCard): z.infer<typeof cardSummaryOutput> {
  return withoutMissing({
    id: card.id,
    title: card.title,
    dueDate: card.duedate,
    done: card.done !== null,
    archived: card.archived,
    labels: card.labels.map((label) => label.title),
    assignees: card.assignees.map((person) => person.id),
  });
}

export function toCardOutput(card: DeckCard, board: DeckBoard, list: string): CardOutput {
  return withoutMissing({
    id: card.id,
    boardId: board.id,
    board: board.title,
    listId: card.stackId,
    list,
    title: card.title,
    description: card.description,
    dueDate: card.duedate,
    startDate: card.startdate,
    done: card.done !== null,
    doneAt: card.done,
    overdue: card.overdue === 3 && card.done === null,
    archived: card.archived,
    deleted: card.deleted,
    owner: card.owner,
    labels: card.labels.map((label) => ({ id: label.id, title: label.title })),
    assignees: card.assignees.map((person) => ({ id: person.id, name: person.name })),
    commentsCount: card.commentsCount,
  });
}

export interface LocatedCard {
  board: DeckBoard;
  /** The open lists of the board, with their open cards. */
  stacks: DeckStack[];
  stack: DeckStack;
  card: DeckCard;
  ref: DeckCardRef;
}

/**
 * The card, found among the board's lists (open cards first, then archived ones). Deck's card routes check only
 * the card, so looking it up through the board is what ties it to the board whose permissions are checked.
 */
export async function locateCard(context: ToolContext, boardId: number, cardId: number): Promise<LocatedCard> {
  const deck = context.user.deck;
  const [board, stacks] = await Promise.all([deck.board(boardId), deck.stacks(boardId)]);
  let found = findCard(stacks, cardId);
  if (!found) found = findCard(await deck.stacks(boardId, { archived: true }), cardId);
  if (!found)
    throw new ToolError(
      'not_found',
      `Card ${cardId} is not on Deck board '${board.title}' (${boardId}); it may be on another board or deleted. deck_get_board lists the board's cards.`,
    );
  const stack = stacks.find((candidate) => candidate.id === found.stack.id) ?? found.stack;
  return { board, stacks, stack, card: found.card, ref: { boardId, stackId: stack.id, cardId } };
}

function findCard(stacks: DeckStack[], cardId: number): { stack: DeckStack; card: DeckCard } | undefined {
  for (const stack of stacks) {
    const card = stack.cards.find((candidate) => candidate.id === cardId);
    if (card) return { stack, card };
  }
  return undefined;
}

/** Refuses a change Deck would refuse, with the reason in the person's terms. */
export function requireEditable(board: DeckBoard, userId: string): void {
  if (!board.canEdit)
    throw new ToolError(
      'not_allowed',
      `Deck board '${board.title}' is shared with ${userId} read-only (owner: ${board.ownerName}); ${userId} can read its cards but not create, change, move, archive or delete them.`,
    );
  if (board.archived)
    throw new ToolError(
      'not_allowed',
      `Deck board '${board.title}' is archived; its cards cannot be changed until it is unarchived in Deck.`,
    );
}

/** Label ids for labels named by id or by title (case-insensitive), all of the board. */
export function resolveLabels(board: DeckBoard, refs: readonly (number | string)[]): number[] {
  return refs.map((ref) => {
    const label =
      typeof ref === 'number'
        ? board.labels.find((candidate) => candidate.id === ref)
        : board.labels.find((candidate) => candidate.title.toLowerCase() === ref.toLowerCase());
    if (!label) {
      const known = board.labels.map((candidate) => `'${candidate.title}' (${candidate.id})`).join(', ') || 'none';
      throw new ToolError(
        'invalid_input',
        `Deck board '${board.title}' has no label ${typeof ref === 'number' ? ref : `'${ref}'`}; its labels: ${known}.`,
      );
    }
    return label.id;
  });
}

/** User ids for people named by user id or display name, all on the board (Deck assigns only those). */
export function resolveUsers(board: DeckBoard, refs: readonly string[]): string[] {
  return refs.map((ref) => {
    const person =
      board.users.find((candidate) => candidate.id === ref) ??
      board.users.find((candidate) => candidate.name.toLowerCase() === ref.toLowerCase());
    if (!person) {
      const known = board.users.map((candidate) => `${candidate.id} (${candidate.name})`).join(', ');
      throw new ToolError(
        'invalid_input',
        `${ref} is not on Deck board '${board.title}', so cards there cannot be assigned to them; people on it: ${known}.`,
      );
    }
    return person.id;
  });
}

/** What the audit log names for a card. */
export function cardTarget(boardId: number, cardId: number): string {
  return `deck/board/${boardId}/card/${cardId}`;
}
