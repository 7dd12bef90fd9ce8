// Deck's data for the simulator (more-apps.md §4): boards, ACL rows, stacks, cards and labels of one simulated
// instance, kept beside the shared state rather than in it, with the seed the tests rely on.
import type { SimState, SimUser } from '../context.js';

export interface DeckAclRow {
  id: number;
  /** 0 user, 1 group. */
  type: 0 | 1;
  participant: string;
  permissionEdit: boolean;
  permissionShare: boolean;
  permissionManage: boolean;
}

export interface DeckBoardRow {
  id: number;
  title: string;
  owner: string;
  color: string;
  archived: boolean;
  deletedAt: number;
  lastModified: number;
  acl: DeckAclRow[];
}

export interface DeckStackRow {
  id: number;
  boardId: number;
  title: string;
  order: number;
  deletedAt: number;
  lastModified: number;
}

export interface DeckLabelRow {
  id: number;
  boardId: number;
  title: string;
  color: string;
  lastModified: number;
}

export interface DeckAssignmentRow {
  id: number;
  participant: string;
  /** 0 user, 1 group, 7 team. */
  type: number;
}

export interface DeckCardRow {
  id: number;
  stackId: number;
  title: string;
  description: string;
  type: string;
  order: number;
  owner: string;
  archived: boolean;
  done: string | null;
  duedate: string | null;
  startdate: string | null;
  deletedAt: number;
  createdAt: number;
  lastModified: number;
  lastEditor: string | null;
  labels: number[];
  assigned: DeckAssignmentRow[];
}

export interface DeckStore {
  boards: Map<number, DeckBoardRow>;
  stacks: Map<number, DeckStackRow>;
  cards: Map<number, DeckCardRow>;
  labels: Map<number, DeckLabelRow>;
  /** Users whose first Deck request has been served (Deck's user config deck/firstRun). */
  firstRunDone: Set<string>;
  nextId: number;
  lastStamp: number;
}

const stores = new WeakMap<SimState, DeckStore>();

/** The Deck data of a simulated instance, seeded on first use. */
export function deckStore(state: SimState): DeckStore {
  let store = stores.get(state);
  if (!store) {
    store = { boards: new Map(), stacks: new Map(), cards: new Map(), labels: new Map(), firstRunDone: new Set(), nextId: 1, lastStamp: 0 };
    stores.set(state, store);
    seed(store);
  }
  return store;
}

export function newId(store: DeckStore): number {
  return store.nextId++;
}

/** A modification time that grows with every change, so each change gives new ETags even within one second. */
export function stamp(store: DeckStore): number {
  store.lastStamp = Math.max(Math.floor(Date.now() / 1000), store.lastStamp + 1);
  return store.lastStamp;
}

/** A change to a card shows on its stack and board too, as Deck's change propagation does. */
export function touchCard(store: DeckStore, card: DeckCardRow): void {
  const now = stamp(store);
  card.lastModified = now;
  const stack = store.stacks.get(card.stackId);
  if (stack) touchStack(store, stack, now);
}

export function touchStack(store: DeckStore, stack: DeckStackRow, now = stamp(store)): void {
  stack.lastModified = now;
  const board = store.boards.get(stack.boardId);
  if (board) board.lastModified = now;
}

const DEFAULT_LABELS: [string, string][] = [
  ['Finished', '31CC7C'],
  ['To review', '317CCC'],
  ['Action needed', 'FF7A66'],
  ['Later', 'F1DB50'],
];

export function createBoard(store: DeckStore, owner: string, title: string, color: string): DeckBoardRow {
  const board: DeckBoardRow = { id: newId(store), title, owner, color, archived: false, deletedAt: 0, lastModified: stamp(store), acl: [] };
  store.boards.set(board.id, board);
  for (const [labelTitle, labelColor] of DEFAULT_LABELS) addLabel(store, board.id, labelTitle, labelColor);
  return board;
}

export function addLabel(store: DeckStore, boardId: number, title: string, color: string): DeckLabelRow {
  const label = { id: newId(store), boardId, title, color, lastModified: 0 };
  store.labels.set(label.id, label);
  return label;
}

export function addStack(store: DeckStore, boardId: number, title: string, order: number): DeckStackRow {
  const stack = { id: newId(store), boardId, title, order, deletedAt: 0, lastModified: stamp(store) };
  store.stacks.set(stack.id, stack);
  return stack;
}

export function addCard(
  store: DeckStore,
  stackId: number,
  owner: string,
  fields: Partial<Omit<DeckCardRow, 'id' | 'stackId' | 'owner'>> & { title: string },
): DeckCardRow {
  const now = stamp(store);
  const card: DeckCardRow = {
    id: newId(store),
    stackId,
    owner,
    description: '',
    type: 'plain',
    order: 999,
    archived: false,
    done: null,
    duedate: null,
    startdate: null,
    deletedAt: 0,
    createdAt: now,
    lastModified: now,
    lastEditor: null,
    labels: [],
    assigned: [],
    ...fields,
  };
  store.cards.set(card.id, card);
  return card;
}

export function labelOf(store: DeckStore, boardId: number, title: string): number {
  const label = [...store.labels.values()].find((candidate) => candidate.boardId === boardId && candidate.title === title);
  if (!label) throw new Error(`No label ${title} on board ${boardId}`);
  return label.id;
}

/** The board Deck's DefaultBoardService creates on a user's first request. */
export function ensureWelcomeBoard(store: DeckStore, user: SimUser): void {
  if (store.firstRunDone.has(user.id)) return;
  store.firstRunDone.add(user.id);
  const board = createBoard(store, user.id, 'Welcome to Nextcloud Deck!', '0087C5');
  const todo = addStack(store, board.id, 'Custom lists - click to rename!', 0);
  addStack(store, board.id, 'To do', 1);
  addCard(store, todo.id, user.id, { title: '1. Open to learn more about boards and cards', order: 0 });
}

function seed(store: DeckStore): void {
  const launch = createBoard(store, 'alice', 'Product launch', '0082c9');
  launch.acl.push({
    id: newId(store),
    type: 0,
    participant: 'bob',
    permissionEdit: false,
    permissionShare: false,
    permissionManage: false,
  });
  const todo = addStack(store, launch.id, 'To do', 0);
  const doing = addStack(store, launch.id, 'Doing', 1);
  const done = addStack(store, launch.id, 'Done', 2);
  addCard(store, todo.id, 'alice', {
    title: 'Write the press release',
    description: 'Two paragraphs, with a quote from the CEO.',
    order: 0,
    duedate: '2030-03-01T09:00:00+00:00',
    labels: [labelOf(store, launch.id, 'Action needed')],
    assigned: [{ id: newId(store), participant: 'alice', type: 0 }],
  });
  addCard(store, todo.id, 'alice', { title: 'Order the launch cake', order: 1, labels: [labelOf(store, launch.id, 'Later')] });
  addCard(store, doing.id, 'alice', {
    title: 'Design the landing page',
    description: 'Hero image and sign-up form.',
    order: 0,
    duedate: '2030-02-15T17:00:00+00:00',
    labels: [labelOf(store, launch.id, 'To review')],
    assigned: [{ id: newId(store), participant: 'alice', type: 0 }],
  });
  addCard(store, done.id, 'alice', {
    title: 'Book the venue',
    order: 0,
    done: '2030-01-10T12:00:00+00:00',
    labels: [labelOf(store, launch.id, 'Finished')],
  });
  const workshop = createBoard(store, 'bob', 'Workshop', 'e9322d');
  const ideas = addStack(store, workshop.id, 'Ideas', 0);
  addCard(store, ideas.id, 'bob', { title: 'Build a birdhouse', description: 'Cedar, not pine.', order: 0 });
}
