// The Deck app's REST API (index.php/apps/deck/api/v1.0, more-apps.md §4): boards, their lists (stacks) and cards.
// Deck answers 403 for anything the user cannot reach, whether it exists or not, and replaces a card whole on
// update, so an update here always reads the card first and sends every field back.
import { z } from 'zod';
import type { NextcloudErrorCode } from './errors.js';
import { InvalidArgumentError, NextcloudError, isNextcloudError, printable } from './errors.js';
import type { HttpClient } from './http.js';
import { answerKind, readBody, unexpectedAnswer } from './http.js';
import { issuesText } from './zod-issues.js';

const API = '/index.php/apps/deck/api/v1.0';

const userSchema = z.looseObject({
  uid: z.string(),
  displayname: z.string().nullish(),
  type: z.number().default(0),
});

const labelSchema = z
  .looseObject({ id: z.number(), title: z.string(), color: z.string().default(''), boardId: z.number().nullish() })
  .transform((label) => ({ id: label.id, title: label.title, color: label.color }));
export type DeckLabel = z.infer<typeof labelSchema>;

const assignmentSchema = z.looseObject({ participant: userSchema, type: z.number().default(0) }).transform((assignment) => ({
  id: assignment.participant.uid,
  name: assignment.participant.displayname || assignment.participant.uid,
  type: assignment.type === 1 ? ('group' as const) : assignment.type === 0 ? ('user' as const) : ('team' as const),
}));
export type DeckAssignee = z.infer<typeof assignmentSchema>;

/** ISO-8601 text, or null; Deck's empty values vary between versions. */
const dateField = z
  .string()
  .nullish()
  .transform((value) => value || null);

/** Which optional fields this Deck version sends at all: an update sends back only what the server knows. */
const withPresence = (raw: unknown) =>
  raw !== null && typeof raw === 'object' && !Array.isArray(raw)
    ? { ...raw, knownFields: { done: 'done' in raw, startdate: 'startdate' in raw } }
    : raw;

const cardObject = z
  .looseObject({
    id: z.number(),
    title: z.string(),
    description: z.string().nullish(),
    stackId: z.number(),
    type: z.string().default('plain'),
    order: z.number().default(0),
    owner: z.union([userSchema, z.string()]),
    archived: z.boolean().default(false),
    done: dateField,
    duedate: dateField,
    startdate: dateField,
    deletedAt: z.number().default(0),
    lastModified: z.number().default(0),
    labels: z.array(labelSchema).nullish(),
    assignedUsers: z.array(assignmentSchema).nullish(),
    commentsCount: z.number().default(0),
    overdue: z.number().default(0),
    knownFields: z.object({ done: z.boolean(), startdate: z.boolean() }),
  })
  .transform((card) => ({
    id: card.id,
    title: card.title,
    description: card.description ?? '',
    stackId: card.stackId,
    type: card.type,
    order: card.order,
    /** The owner's user id; Deck requires it back on every update. */
    owner: typeof card.owner === 'string' ? card.owner : card.owner.uid,
    archived: card.archived,
    /** When the card was marked done (ISO-8601), null while it is not; absent from Deck before 1.12. */
    done: card.done,
    duedate: card.duedate,
    startdate: card.startdate,
    /** Start dates exist from Deck 1.18, done from 1.12 on: an update sends back only the fields the server knows. */
    knownFields: card.knownFields,
    deleted: card.deletedAt > 0,
    lastModified: card.lastModified,
    labels: card.labels ?? [],
    assignees: card.assignedUsers ?? [],
    commentsCount: card.commentsCount,
    /** Deck's levels: 0 not soon, 1 due tomorrow, 2 due today, 3 overdue. */
    overdue: card.overdue,
  }));
const cardSchema = z.preprocess(withPresence, cardObject);
export type DeckCard = z.infer<typeof cardObject>;

const stackSchema = z
  .looseObject({
    id: z.number(),
    title: z.string(),
    boardId: z.number(),
    order: z.number().default(0),
    cards: z.array(cardSchema).optional(),
  })
  .transform((stack) => ({ id: stack.id, title: stack.title, boardId: stack.boardId, order: stack.order, cards: stack.cards ?? [] }));
export type DeckStack = z.infer<typeof stackSchema>;

const permissionsSchema = z.looseObject({
  PERMISSION_READ: z.boolean().default(false),
  PERMISSION_EDIT: z.boolean().default(false),
  PERMISSION_MANAGE: z.boolean().default(false),
  PERMISSION_SHARE: z.boolean().default(false),
});

const boardSchema = z
  .looseObject({
    id: z.number(),
    title: z.string(),
    owner: z.union([userSchema, z.string()]),
    color: z.string().default(''),
    archived: z.boolean().default(false),
    deletedAt: z.number().default(0),
    lastModified: z.number().default(0),
    labels: z.array(labelSchema).nullish(),
    users: z.array(userSchema).nullish(),
    permissions: permissionsSchema.optional(),
  })
  .transform((board) => ({
    id: board.id,
    title: board.title,
    owner: typeof board.owner === 'string' ? board.owner : board.owner.uid,
    ownerName: typeof board.owner === 'string' ? board.owner : board.owner.displayname || board.owner.uid,
    color: board.color,
    archived: board.archived,
    deleted: board.deletedAt > 0,
    lastModified: board.lastModified,
    labels: board.labels ?? [],
    /** Everyone on the board (owner and sharees): who cards can be assigned to. */
    users: (board.users ?? []).map((user) => ({ id: user.uid, name: user.displayname || user.uid })),
    canEdit: board.permissions?.PERMISSION_EDIT ?? false,
    canManage: board.permissions?.PERMISSION_MANAGE ?? false,
  }));
export type DeckBoard = z.infer<typeof boardSchema>;

/** Where a card is: Deck's card routes name the board and the stack as well as the card. */
export interface DeckCardRef {
  boardId: number;
  stackId: number;
  cardId: number;
}

export interface NewDeckCard {
  title: string;
  description?: string;
  /** ISO-8601; sent in UTC. */
  duedate?: string;
  labelIds?: number[];
  /** User ids; they must be on the board. */
  assignees?: string[];
}

/** Fields an update changes; everything not named stays as it is. null clears a date. */
export interface DeckCardChanges {
  title?: string;
  description?: string;
  duedate?: string | null;
  startdate?: string | null;
  /** A time (ISO-8601) marks the card done, null marks it not done. */
  done?: string | null;
}

export interface DeckClient {
  /** The boards the user can see, soft-deleted ones left out, archived ones flagged. */
  boards(): Promise<DeckBoard[]>;
  board(boardId: number): Promise<DeckBoard>;
  /** The board's lists with their cards: open cards, or the archived ones. */
  stacks(boardId: number, options?: { archived?: boolean }): Promise<DeckStack[]>;
  card(ref: DeckCardRef): Promise<DeckCard>;
  createCard(boardId: number, stackId: number, card: NewDeckCard): Promise<DeckCard>;
  /** Reads the card, applies the changes and sends the whole card back, so that nothing else is cleared. */
  updateCard(ref: DeckCardRef, changes: DeckCardChanges): Promise<DeckCard>;
  /** Moves the card to `position` (0 = top) of another list of the same board, or within its own. */
  moveCard(ref: DeckCardRef, toStackId: number, position: number): Promise<DeckCard>;
  setArchived(ref: DeckCardRef, archived: boolean): Promise<DeckCard>;
  assignLabel(ref: DeckCardRef, labelId: number): Promise<void>;
  removeLabel(ref: DeckCardRef, labelId: number): Promise<void>;
  assignUser(ref: DeckCardRef, userId: string): Promise<void>;
  unassignUser(ref: DeckCardRef, userId: string): Promise<void>;
  /** Soft delete: the card can be restored from Deck's deleted items. */
  deleteCard(ref: DeckCardRef): Promise<DeckCard>;
}

export function deckClient(http: HttpClient, timeoutMs = 30_000): DeckClient {
  const call = <T extends z.ZodType>(method: string, path: string, schema: T, json?: unknown) =>
    deckRequest(http, method, path, schema, json, timeoutMs);
  const cardPath = (ref: DeckCardRef, stackId = ref.stackId) => `/boards/${ref.boardId}/stacks/${stackId}/cards/${ref.cardId}`;
  const ignored = z.unknown();
  return {
    async boards() {
      const boards = await call('GET', '/boards', z.array(boardSchema));
      return boards.filter((board) => !board.deleted);
    },
    board: (boardId) => call('GET', `/boards/${boardId}`, boardSchema),
    stacks: (boardId, options = {}) =>
      call('GET', `/boards/${boardId}/stacks${options.archived ? '/archived' : ''}`, z.array(stackSchema)).then((stacks) =>
        [...stacks].sort((a, b) => a.order - b.order),
      ),
    card: (ref) => call('GET', cardPath(ref), cardSchema),
    createCard: (boardId, stackId, card) =>
      call('POST', `/boards/${boardId}/stacks/${stackId}/cards`, cardSchema, {
        title: card.title,
        type: 'plain',
        order: 999,
        description: card.description ?? '',
        duedate: card.duedate === undefined ? null : utcIso(card.duedate),
        labels: card.labelIds ?? [],
        users: (card.assignees ?? []).map((id) => ({ id, type: 0 })),
      }),
    async updateCard(ref, changes) {
      const card = await call('GET', cardPath(ref), cardSchema);
      // A date the call changes must be one; one it keeps goes back as Deck sent it when it cannot be read here.
      const kept = (current: string) => (Number.isNaN(Date.parse(current)) ? current : utcIso(current));
      const date = (change: string | null | undefined, current: string | null) =>
        change === undefined ? (current === null ? null : kept(current)) : change === null ? null : utcIso(change);
      const whole: Record<string, unknown> = {
        title: changes.title ?? card.title,
        type: card.type,
        owner: card.owner,
        description: changes.description ?? card.description,
        order: card.order,
        duedate: date(changes.duedate, card.duedate),
      };
      if (card.knownFields.done || changes.done !== undefined) whole.done = date(changes.done, card.done);
      if (card.knownFields.startdate || changes.startdate !== undefined) whole.startdate = date(changes.startdate, card.startdate);
      return call('PUT', cardPath(ref, card.stackId), cardSchema, whole);
    },
    async moveCard(ref, toStackId, position) {
      // The path's stack wins over the body's in AppFramework, so both name the target.
      const cards = await call('PUT', `${cardPath(ref, toStackId)}/reorder`, z.array(cardSchema), { stackId: toStackId, order: position });
      const moved = cards.find((card) => card.id === ref.cardId);
      if (!moved) throw unexpectedAnswer('PUT', `${API}${cardPath(ref, toStackId)}/reorder`, 'the list it returned lacks the moved card');
      return moved;
    },
    setArchived: (ref, archived) => call('PUT', `${cardPath(ref)}/${archived ? 'archive' : 'unarchive'}`, cardSchema, {}),
    assignLabel: (ref, labelId) => call('PUT', `${cardPath(ref)}/assignLabel`, ignored, { labelId }).then(() => undefined),
    removeLabel: (ref, labelId) => call('PUT', `${cardPath(ref)}/removeLabel`, ignored, { labelId }).then(() => undefined),
    assignUser: (ref, userId) => call('PUT', `${cardPath(ref)}/assignUser`, ignored, { userId, type: 0 }).then(() => undefined),
    unassignUser: (ref, userId) => call('PUT', `${cardPath(ref)}/unassignUser`, ignored, { userId, type: 0 }).then(() => undefined),
    deleteCard: (ref) => call('DELETE', cardPath(ref), cardSchema),
  };
}

/** An instant as Deck reads it best: ISO-8601 in UTC (other offsets are reported unreliable). */
export function utcIso(value: string): string {
  const time = Date.parse(value);
  if (Number.isNaN(time))
    throw new InvalidArgumentError(`"${printable(value)}" is not a date and time (ISO-8601, e.g. 2030-03-01T09:00:00Z).`);
  return new Date(time).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

async function deckRequest<T extends z.ZodType>(
  http: HttpClient,
  method: string,
  relative: string,
  schema: T,
  json: unknown,
  timeoutMs: number,
): Promise<z.infer<T>> {
  const path = API + relative;
  const headers: Record<string, string> = { accept: 'application/json', 'content-type': 'application/json' };
  let response: Response;
  try {
    response = await http.request(method, path, { headers, body: json === undefined ? undefined : JSON.stringify(json), timeoutMs });
  } catch (error) {
    throw isNextcloudError(error) ? deckError(error, http.userId) : error;
  }
  const text = await readBody(response, method, path);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw unexpectedAnswer(method, path, `${answerKind(response)} instead of Deck's JSON`, response.status, error);
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success)
    throw unexpectedAnswer(
      method,
      path,
      `Deck data of an unexpected shape (${issuesText(parsed.error.issues, { max: 3 })})`,
      response.status,
    );
  return parsed.data;
}

/** Deck's failures in words that say what is known, and no more (more-apps.md §0, §4.6). */
function deckError(error: NextcloudError, userId: string): NextcloudError {
  const said = error.remoteMessage;
  const reword = (code: NextcloudErrorCode, message: string) =>
    new NextcloudError({ code, status: error.status, remoteMessage: said, method: error.method, path: error.path, message, cause: error });
  switch (error.status) {
    case 403:
      // Deck answers alike for what does not exist and for what this user may not reach or change.
      return reword(
        'forbidden',
        `Deck refused ${userId}: the board, list or card does not exist, or ${userId} may not see or change it (Deck does not say which).`,
      );
    case 404:
      if (said === undefined) return reword('not_found', 'Deck is not installed on this Nextcloud, so boards and cards cannot be reached.');
      return reword('not_found', `Deck found nothing to change: ${said}`);
    case 412:
      if (said && /not enabled/i.test(said))
        return reword('forbidden', `Deck is not enabled for ${userId}; an administrator can enable it for their groups.`);
      return error;
    case 400:
      return reword('bad_request', `Deck rejected the request: ${said ?? 'invalid input'}.`);
    case 500:
      // Deck reports refusals about archived boards and cards and foreign labels as server errors, message kept.
      if (said && /^Operation not allowed/i.test(said)) return reword('conflict', `Deck refused: ${said}`);
      return error;
    default:
      return error;
  }
}
