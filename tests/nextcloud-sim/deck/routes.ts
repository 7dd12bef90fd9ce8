// The Deck app's REST API (more-apps.md §4): index.php/apps/deck/api/v1.0, JSON in and out, Deck's permission
// rules, its 403 for anything unknown or out of reach, full-replacement card updates and soft deletes.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SimContext, SimUser } from '../context.js';
import { requireAppUser } from '../apps.js';
import type { DeckPermissions } from './access.js';
import { boardUserIds, permissionsOf } from './access.js';
import { aclJson, assignmentJson, boardJson, cardJson, etagOf, etagOfList, labelJson, stackJson } from './serialize.js';
import type { DeckBoardRow, DeckCardRow, DeckStackRow, DeckStore } from './store.js';
import { addCard, addLabel, addStack, createBoard, deckStore, ensureWelcomeBoard, newId, stamp, touchCard, touchStack } from './store.js';

export const DECK_API = '/index.php/apps/deck/api/v1.0';

/** A failure answered as Deck's ExceptionMiddleware does: `{"status", "message"}`. */
class DeckFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const denied = () => new DeckFailure(403, 'Permission denied');
const badRequest = (message: string) => new DeckFailure(400, message);

interface Call {
  user: SimUser;
  store: DeckStore;
  params: Record<string, unknown>;
  request: FastifyRequest;
  reply: FastifyReply;
}

type Need = keyof DeckPermissions;

export function registerDeckRoutes(app: FastifyInstance, ctx: SimContext): void {
  const { state } = ctx;

  const route = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, handler: (call: Call) => unknown) => {
    app.route({
      method,
      url: DECK_API + path,
      handler: async (request, reply) => {
        const user = requireAppUser(ctx, 'deck', request, reply);
        if (!user) return reply;
        const store = deckStore(state);
        ensureWelcomeBoard(store, user);
        // Path parameters win over the query and the JSON body, as in AppFramework.
        const params = {
          ...(request.query as Record<string, unknown>),
          ...(typeof request.body === 'object' && request.body !== null ? (request.body as Record<string, unknown>) : {}),
          ...(request.params as Record<string, unknown>),
        };
        try {
          return handler({ user, store, params, request, reply });
        } catch (error) {
          if (error instanceof DeckFailure) return reply.code(error.status).send({ status: error.status, message: error.message });
          throw error;
        }
      },
    });
  };

  const idParam = (params: Record<string, unknown>, name: string): number => {
    const value = Number(params[name]);
    if (!Number.isInteger(value)) throw badRequest(`${name} must be a number`);
    return value;
  };

  const board = (call: Call, need: Need, boardId = idParam(call.params, 'boardId')): DeckBoardRow => {
    const found = call.store.boards.get(boardId);
    if (!found || found.deletedAt > 0 || !permissionsOf(found, call.user)[need]) throw denied();
    return found;
  };
  const stack = (call: Call, need: Need, stackId = idParam(call.params, 'stackId')): { stack: DeckStackRow; board: DeckBoardRow } => {
    const found = call.store.stacks.get(stackId);
    if (!found || found.deletedAt > 0) throw denied();
    return { stack: found, board: board(call, need, found.boardId) };
  };
  const card = (call: Call, need: Need): { card: DeckCardRow; stack: DeckStackRow; board: DeckBoardRow } => {
    const found = call.store.cards.get(idParam(call.params, 'cardId'));
    if (!found) throw denied();
    return { card: found, ...stack(call, need, found.stackId) };
  };
  const writable = (target: { board: DeckBoardRow; card?: DeckCardRow }) => {
    if (target.board.archived) throw new DeckFailure(500, 'Operation not allowed. This board is archived.');
    if (target.card?.archived) throw new DeckFailure(500, 'Operation not allowed. This card is archived.');
  };
  /** An ETag header, and 304 when If-None-Match names it exactly. */
  const notModified = (call: Call, etag: string): boolean => {
    void call.reply.header('ETag', `"${etag}"`);
    if (call.request.headers['if-none-match'] !== `"${etag}"`) return false;
    void call.reply.code(304).send();
    return true;
  };
  const cardsOf = (store: DeckStore, stackId: number, archived: boolean) =>
    [...store.cards.values()]
      .filter((item) => item.stackId === stackId && item.deletedAt === 0 && item.archived === archived)
      .sort((a, b) => a.order - b.order || a.id - b.id);
  const stacksOf = (store: DeckStore, boardId: number) =>
    [...store.stacks.values()].filter((item) => item.boardId === boardId && item.deletedAt === 0).sort((a, b) => a.order - b.order);
  const title = (params: Record<string, unknown>, max: number): string => {
    const value = params.title;
    if (typeof value !== 'string' || value === '') throw badRequest('title must be provided and must be not empty');
    if (value.length > max) throw badRequest(`title cannot be longer than ${max} characters `);
    return value;
  };

  const modifiedSince = (call: Call): number => {
    const since = call.request.headers['if-modified-since'];
    if (typeof since !== 'string') return 0;
    const after = Date.parse(since) / 1000;
    if (Number.isNaN(after)) throw new DeckFailure(500, 'Invalid If-Modified-Since header provided.');
    return after;
  };

  // Boards: every board the user can read, archived and soft-deleted ones included.
  route('GET', '/boards', (call) => {
    const boards = [...call.store.boards.values()].filter((item) => permissionsOf(item, call.user).read);
    const after = modifiedSince(call);
    const listed = boards.filter((item) => item.lastModified > after);
    if (notModified(call, etagOfList(listed.map((item) => item.lastModified)))) return call.reply;
    return listed.map((item) => boardJson(state, call.store, item, permissionsOf(item, call.user)));
  });
  route('POST', '/boards', (call) => {
    const color = call.params.color;
    if (typeof color !== 'string' || !/^[0-9a-fA-F]{1,6}$/.test(color)) throw badRequest('color must be provided and must be a hex value');
    const created = createBoard(call.store, call.user.id, title(call.params, 100), color);
    return boardJson(state, call.store, created, permissionsOf(created, call.user));
  });
  route('GET', '/boards/:boardId', (call) => {
    const found = board(call, 'read');
    if (notModified(call, etagOf(found.lastModified))) return call.reply;
    return boardJson(state, call.store, found, permissionsOf(found, call.user));
  });
  route('PUT', '/boards/:boardId', (call) => {
    const found = board(call, 'manage');
    const color = call.params.color;
    if (typeof color !== 'string' || !/^[0-9a-fA-F]{1,6}$/.test(color)) throw badRequest('color must be provided and must be a hex value');
    found.title = title(call.params, 100);
    found.color = color;
    // Deck's parameter defaults to false: an update that leaves it out un-archives.
    found.archived = call.params.archived === true || call.params.archived === 'true';
    found.lastModified = stamp(call.store);
    return boardJson(state, call.store, found, permissionsOf(found, call.user));
  });
  route('DELETE', '/boards/:boardId', (call) => {
    const found = board(call, 'manage');
    found.deletedAt = stamp(call.store);
    found.lastModified = found.deletedAt;
    return boardJson(state, call.store, found, permissionsOf(found, call.user));
  });
  route('POST', '/boards/:boardId/acl', (call) => {
    const found = board(call, 'share');
    const type = Number(call.params.type);
    const participant = call.params.participant;
    if ((type !== 0 && type !== 1) || typeof participant !== 'string') throw badRequest('participant and type must be provided');
    if (type === 0 ? !state.users.has(participant) : !state.groups.has(participant)) throw badRequest('The participant does not exist');
    const flag = (name: string) => call.params[name] === true || call.params[name] === 'true';
    const row = {
      id: newId(call.store),
      type: type as 0 | 1,
      participant,
      permissionEdit: flag('permissionEdit'),
      permissionShare: flag('permissionShare'),
      permissionManage: flag('permissionManage'),
    };
    found.acl.push(row);
    found.lastModified = stamp(call.store);
    return aclJson(state, found, row);
  });
  const aclRow = (call: Call, need: Need) => {
    const found = board(call, need);
    const row = found.acl.find((item) => item.id === idParam(call.params, 'aclId'));
    if (!row) throw denied();
    return { board: found, row };
  };
  route('PUT', '/boards/:boardId/acl/:aclId', (call) => {
    const { board: found, row } = aclRow(call, 'share');
    const flag = (name: string) => call.params[name] === true || call.params[name] === 'true';
    row.permissionEdit = flag('permissionEdit');
    row.permissionShare = flag('permissionShare');
    row.permissionManage = flag('permissionManage');
    found.lastModified = stamp(call.store);
    return aclJson(state, found, row);
  });
  route('DELETE', '/boards/:boardId/acl/:aclId', (call) => {
    const { board: found, row } = aclRow(call, 'manage');
    found.acl = found.acl.filter((item) => item !== row);
    found.lastModified = stamp(call.store);
    return aclJson(state, found, row);
  });
  route('POST', '/boards/:boardId/undo_delete', (call) => {
    // The one route that reaches a deleted board.
    const found = call.store.boards.get(idParam(call.params, 'boardId'));
    if (!found || !permissionsOf(found, call.user).manage) throw denied();
    found.deletedAt = 0;
    found.lastModified = stamp(call.store);
    return boardJson(state, call.store, found, permissionsOf(found, call.user));
  });

  // Stacks
  route('GET', '/boards/:boardId/stacks', (call) => {
    const found = board(call, 'read');
    // If-Modified-Since filters the cards, never the stacks, and never yields 304 (more-apps.md §4.5).
    const after = modifiedSince(call);
    return stacksOf(call.store, found.id).map((item) =>
      stackJson(
        state,
        call.store,
        item,
        cardsOf(call.store, item.id, false).filter((card) => card.lastModified > after),
      ),
    );
  });
  route('GET', '/boards/:boardId/stacks/archived', (call) => {
    const found = board(call, 'read');
    return stacksOf(call.store, found.id).map((item) => stackJson(state, call.store, item, cardsOf(call.store, item.id, true)));
  });
  route('GET', '/boards/:boardId/stacks/:stackId', (call) => {
    const found = stack(call, 'read').stack;
    if (notModified(call, etagOf(found.lastModified))) return call.reply;
    return stackJson(state, call.store, found, cardsOf(call.store, found.id, false));
  });
  route('POST', '/boards/:boardId/stacks', (call) => {
    const found = board(call, 'manage');
    writable({ board: found });
    const created = addStack(call.store, found.id, title(call.params, 100), Number(call.params.order ?? 999));
    touchStack(call.store, created);
    return stackJson(state, call.store, created, []);
  });
  route('PUT', '/boards/:boardId/stacks/:stackId', (call) => {
    const target = stack(call, 'manage');
    writable(target);
    target.stack.title = title(call.params, 100);
    target.stack.order = Number(call.params.order ?? 0);
    touchStack(call.store, target.stack);
    return stackJson(state, call.store, target.stack, cardsOf(call.store, target.stack.id, false));
  });
  route('DELETE', '/boards/:boardId/stacks/:stackId', (call) => {
    const target = stack(call, 'manage');
    writable(target);
    target.stack.deletedAt = stamp(call.store);
    touchStack(call.store, target.stack);
    return stackJson(state, call.store, target.stack, []);
  });

  // Labels
  const labelOfBoard = (call: Call, need: Need) => {
    const found = board(call, need);
    const label = call.store.labels.get(idParam(call.params, 'labelId'));
    if (!label || label.boardId !== found.id) throw denied();
    return { board: found, label };
  };
  route('GET', '/boards/:boardId/labels/:labelId', (call) => labelJson(labelOfBoard(call, 'read').label));
  route('POST', '/boards/:boardId/labels', (call) => {
    const found = board(call, 'manage');
    writable({ board: found });
    const color = typeof call.params.color === 'string' ? call.params.color : '31CC7C';
    const created = addLabel(call.store, found.id, title(call.params, 100), color);
    found.lastModified = stamp(call.store);
    return labelJson(created);
  });

  route('GET', '/boards/:boardId/labels', (call) => {
    const found = board(call, 'read');
    return [...call.store.labels.values()].filter((label) => label.boardId === found.id).map((label) => labelJson(label));
  });
  route('PUT', '/boards/:boardId/labels/:labelId', (call) => {
    const { board: found, label } = labelOfBoard(call, 'manage');
    writable({ board: found });
    label.title = title(call.params, 100);
    if (typeof call.params.color === 'string') label.color = call.params.color;
    label.lastModified = found.lastModified = stamp(call.store);
    return labelJson(label);
  });
  route('DELETE', '/boards/:boardId/labels/:labelId', (call) => {
    const { board: found, label } = labelOfBoard(call, 'manage');
    writable({ board: found });
    call.store.labels.delete(label.id);
    for (const item of call.store.cards.values()) item.labels = item.labels.filter((id) => id !== label.id);
    found.lastModified = stamp(call.store);
    return labelJson(label);
  });

  // Cards
  const cardPath = '/boards/:boardId/stacks/:stackId/cards/:cardId';
  route('GET', cardPath, (call) => {
    // Only the card decides access, whatever board and stack the path names.
    const found = card(call, 'read').card;
    if (notModified(call, etagOf(found.lastModified))) return call.reply;
    return cardJson(state, call.store, found);
  });
  route('POST', '/boards/:boardId/stacks/:stackId/cards', (call) => {
    const target = stack(call, 'edit');
    writable(target);
    const cardTitle = title(call.params, 255);
    const labels = Array.isArray(call.params.labels) ? call.params.labels.map(Number) : [];
    for (const id of labels)
      if (call.store.labels.get(id)?.boardId !== target.board.id)
        throw new DeckFailure(500, 'Operation not allowed. Label does not exist.');
    const users = Array.isArray(call.params.users) ? (call.params.users as { id?: unknown; type?: unknown }[]) : [];
    const members = boardUserIds(state, target.board);
    for (const entry of users)
      if (typeof entry?.id !== 'string' || !members.includes(entry.id)) throw badRequest('The user is not part of the board');
    const created = addCard(call.store, target.stack.id, call.user.id, {
      title: cardTitle,
      type: typeof call.params.type === 'string' ? call.params.type : 'plain',
      order: call.params.order === undefined ? 999 : Number(call.params.order),
      description: typeof call.params.description === 'string' ? call.params.description : '',
      duedate: dateParam(call.params.duedate),
      startdate: dateParam(call.params.startdate),
      lastEditor: call.user.id,
      labels,
      assigned: users.map((entry) => ({ id: newId(call.store), participant: entry.id as string, type: Number(entry.type ?? 0) })),
    });
    touchCard(call.store, created);
    return cardJson(state, call.store, created);
  });
  // A full replacement: what the request leaves out is reset to Deck's parameter defaults (more-apps.md §4.4).
  route('PUT', cardPath, (call) => {
    const target = card(call, 'edit');
    // Another board's stack moves the card there: Deck only asks for the right to edit on both boards.
    const destination = stack(call, 'edit');
    writable(target);
    const cardTitle = title(call.params, 255);
    if (typeof call.params.type !== 'string' || call.params.type === '') throw badRequest('type must be provided');
    if (typeof call.params.owner !== 'string' || call.params.owner === '') throw badRequest('owner must be provided');
    const found = target.card;
    found.title = cardTitle;
    found.type = call.params.type;
    found.owner = call.params.owner;
    found.description = typeof call.params.description === 'string' ? call.params.description : '';
    found.order = call.params.order === undefined ? 0 : Number(call.params.order);
    found.duedate = dateParam(call.params.duedate);
    found.startdate = dateParam(call.params.startdate);
    found.done = dateParam(call.params.done);
    if (call.params.archived !== undefined && call.params.archived !== null) found.archived = call.params.archived === true;
    found.stackId = destination.stack.id;
    found.lastEditor = call.user.id;
    touchCard(call.store, found);
    return cardJson(state, call.store, found);
  });
  route('DELETE', cardPath, (call) => {
    const target = card(call, 'edit');
    writable({ board: target.board });
    target.card.deletedAt = stamp(call.store);
    touchCard(call.store, target.card);
    return cardJson(state, call.store, target.card);
  });
  for (const [action, archived] of [
    ['archive', true],
    ['unarchive', false],
  ] as const) {
    route('PUT', `${cardPath}/${action}`, (call) => {
      const target = card(call, 'edit');
      writable({ board: target.board });
      target.card.archived = archived;
      touchCard(call.store, target.card);
      return cardJson(state, call.store, target.card);
    });
  }
  route('PUT', `${cardPath}/reorder`, (call) => {
    const target = card(call, 'edit');
    // The body's stackId names the target, but the path's wins when both are there: the path names the target too.
    const destination = stack(call, 'edit');
    writable(target);
    const position = Math.max(0, Number(call.params.order ?? 0));
    const others = cardsOf(call.store, destination.stack.id, false).filter((item) => item.id !== target.card.id);
    others.splice(Math.min(position, others.length), 0, target.card);
    target.card.stackId = destination.stack.id;
    others.forEach((item, index) => (item.order = index));
    touchCard(call.store, target.card);
    return others.map((item) => cardJson(state, call.store, item));
  });
  route('PUT', `${cardPath}/assignLabel`, (call) => {
    const target = card(call, 'edit');
    writable(target);
    const labelId = idParam(call.params, 'labelId');
    if (call.store.labels.get(labelId)?.boardId !== target.board.id)
      throw new DeckFailure(500, 'Operation not allowed. Label does not exist.');
    if (target.card.labels.includes(labelId)) throw badRequest('The label is already assigned to the card');
    target.card.labels.push(labelId);
    touchCard(call.store, target.card);
    return cardJson(state, call.store, target.card);
  });
  route('PUT', `${cardPath}/removeLabel`, (call) => {
    const target = card(call, 'edit');
    writable(target);
    const labelId = idParam(call.params, 'labelId');
    if (call.store.labels.get(labelId)?.boardId !== target.board.id)
      throw new DeckFailure(500, 'Operation not allowed. Label does not exist.');
    target.card.labels = target.card.labels.filter((id) => id !== labelId);
    touchCard(call.store, target.card);
    return cardJson(state, call.store, target.card);
  });
  route('PUT', `${cardPath}/assignUser`, (call) => {
    const target = card(call, 'edit');
    writable(target);
    const userId = call.params.userId;
    const type = Number(call.params.type ?? 0);
    if (typeof userId !== 'string' || !boardUserIds(state, target.board).includes(userId))
      throw badRequest('The user is not part of the board');
    if (target.card.assigned.some((item) => item.participant === userId && item.type === type))
      throw badRequest('The user is already assigned to the card');
    const assignment = { id: newId(call.store), participant: userId, type };
    target.card.assigned.push(assignment);
    touchCard(call.store, target.card);
    return assignmentJson(state, target.card, assignment);
  });
  route('PUT', `${cardPath}/unassignUser`, (call) => {
    const target = card(call, 'edit');
    writable(target);
    const userId = String(call.params.userId ?? '');
    const type = Number(call.params.type ?? 0);
    const assignment = target.card.assigned.find((item) => item.participant === userId && item.type === type);
    if (!assignment) throw new DeckFailure(404, `No assignment for ${userId} found.`);
    target.card.assigned = target.card.assigned.filter((item) => item !== assignment);
    touchCard(call.store, target.card);
    return assignmentJson(state, target.card, assignment);
  });
}

/** A date parameter as Deck stores it: null when missing or empty, otherwise the instant in UTC, ISO-8601 ('c'). */
function dateParam(value: unknown): string | null {
  if (value === undefined || value === null || value === '') return null;
  const time = Date.parse(String(value));
  if (Number.isNaN(time)) throw new DeckFailure(500, 'An internal server error occurred.');
  return new Date(time).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}
