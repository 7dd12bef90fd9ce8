// Deck's JSON shapes (deck:lib/Db/{Board,Stack,Card,Label,Acl,Assignment,User}.php, more-apps.md §4.3).
import { createHash } from 'node:crypto';
import type { SimState } from '../context.js';
import type { DeckPermissions } from './access.js';
import { boardUserIds } from './access.js';
import type { DeckAclRow, DeckBoardRow, DeckCardRow, DeckLabelRow, DeckStackRow, DeckStore } from './store.js';

export function etagOf(lastModified: number): string {
  return createHash('md5').update(String(lastModified)).digest('hex');
}

/** One ETag for a list: changes when any member's does, or when the list gains or loses one. */
export function etagOfList(lastModified: number[]): string {
  return createHash('md5').update(lastModified.map(etagOf).join(',')).digest('hex');
}

export function userJson(state: SimState, id: string, type = 0): Record<string, unknown> {
  const name = type === 1 ? (state.groups.get(id)?.displayName ?? id) : (state.users.get(id)?.displayName ?? id);
  return { primaryKey: id, uid: id, displayname: name, type };
}

export function labelJson(label: DeckLabelRow, cardId: number | null = null): Record<string, unknown> {
  return {
    id: label.id,
    title: label.title,
    color: label.color,
    boardId: label.boardId,
    cardId,
    lastModified: label.lastModified,
    ETag: etagOf(label.lastModified),
  };
}

export function aclJson(state: SimState, board: DeckBoardRow, row: DeckAclRow): Record<string, unknown> {
  return {
    id: row.id,
    participant: userJson(state, row.participant, row.type),
    type: row.type,
    boardId: board.id,
    permissionEdit: row.permissionEdit,
    permissionShare: row.permissionShare,
    permissionManage: row.permissionManage,
    owner: false,
  };
}

export function boardJson(state: SimState, store: DeckStore, board: DeckBoardRow, permissions: DeckPermissions): Record<string, unknown> {
  return {
    id: board.id,
    title: board.title,
    owner: userJson(state, board.owner),
    color: board.color,
    archived: board.archived,
    labels: [...store.labels.values()].filter((label) => label.boardId === board.id).map((label) => labelJson(label)),
    acl: board.acl.map((row) => aclJson(state, board, row)),
    permissions: {
      PERMISSION_READ: permissions.read,
      PERMISSION_EDIT: permissions.edit,
      PERMISSION_MANAGE: permissions.manage,
      PERMISSION_SHARE: permissions.share,
    },
    users: boardUserIds(state, board).map((id) => userJson(state, id)),
    stacks: [],
    activeSessions: [],
    deletedAt: board.deletedAt,
    lastModified: board.lastModified,
    settings: { 'notify-due': 'assigned', calendar: true },
    ETag: etagOf(board.lastModified),
  };
}

/** Deck's overdue levels: 0 later, 1 due tomorrow, 2 due today, 3 overdue. */
function overdueOf(duedate: string | null): number {
  if (!duedate) return 0;
  const due = new Date(duedate).getTime();
  const now = Date.now();
  if (due < now) return 3;
  const days = Math.floor(due / 86_400_000) - Math.floor(now / 86_400_000);
  return days === 0 ? 2 : days === 1 ? 1 : 0;
}

export function cardJson(state: SimState, store: DeckStore, card: DeckCardRow): Record<string, unknown> {
  return {
    id: card.id,
    title: card.title,
    description: card.description,
    stackId: card.stackId,
    type: card.type,
    order: card.order,
    owner: userJson(state, card.owner),
    archived: card.archived,
    done: card.done,
    duedate: card.duedate,
    startdate: card.startdate,
    color: null,
    deletedAt: card.deletedAt,
    createdAt: card.createdAt,
    lastModified: card.lastModified,
    lastEditor: card.lastEditor,
    labels: card.labels.flatMap((id) => {
      const label = store.labels.get(id);
      return label ? [labelJson(label, card.id)] : [];
    }),
    assignedUsers: card.assigned.map((assignment) => assignmentJson(state, card, assignment)),
    attachments: [],
    attachmentCount: 0,
    commentsUnread: 0,
    commentsCount: 0,
    overdue: overdueOf(card.duedate),
    referenceData: null,
    dependentCards: [],
    ETag: etagOf(card.lastModified),
  };
}

export function assignmentJson(state: SimState, card: DeckCardRow, assignment: DeckCardRow['assigned'][number]): Record<string, unknown> {
  return {
    id: assignment.id,
    participant: userJson(state, assignment.participant, assignment.type),
    cardId: card.id,
    type: assignment.type,
  };
}

/** A stack with the cards given; the key "cards" is left out when there are none, as Deck does. */
export function stackJson(state: SimState, store: DeckStore, stack: DeckStackRow, cards: DeckCardRow[]): Record<string, unknown> {
  return {
    id: stack.id,
    title: stack.title,
    boardId: stack.boardId,
    order: stack.order,
    deletedAt: stack.deletedAt,
    lastModified: stack.lastModified,
    ...(cards.length > 0 ? { cards: cards.map((card) => cardJson(state, store, card)) } : {}),
    isDoneColumn: false,
    ETag: etagOf(stack.lastModified),
  };
}
