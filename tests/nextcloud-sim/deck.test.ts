// The simulated Deck REST API against the contract (more-apps.md §4): shapes, full-replacement updates, 403 for
// whatever is unknown or out of reach, the welcome board, ETags, and how Deck fails when it is missing.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Simulator } from './index.js';
import { startSimulator } from './index.js';
import { DECK_API } from './deck/routes.js';
import { deckStore } from './deck/store.js';

let sim: Simulator;
const secret = 'deck-sim-secret-'.padEnd(64, 'x');

beforeAll(async () => {
  sim = await startSimulator({ dav: false });
  sim.addExApp({ id: 'mcp_gateway', version: '0.1.0', secret });
});
afterAll(() => sim?.stop());
beforeEach(() => sim.state.nextcloudApps.set('deck', { groups: [] }));

async function deck(user: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(sim.url + DECK_API + path, {
    method,
    headers: {
      'EX-APP-ID': 'mcp_gateway',
      'EX-APP-VERSION': '0.1.0',
      'AUTHORIZATION-APP-API': Buffer.from(`${user}:${secret}`).toString('base64'),
      'OCS-APIRequest': 'true',
      accept: 'application/json',
      'content-type': 'application/json',
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json: unknown = undefined;
  try {
    json = JSON.parse(text);
  } catch {
    // Not JSON: left undefined for the test to see.
  }
  return { status: response.status, json: json as any, text, etag: response.headers.get('etag') };
}

const launchBoard = () => [...deckStore(sim.state).boards.values()].find((board) => board.title === 'Product launch')!;
const stackNamed = (boardId: number, title: string) =>
  [...deckStore(sim.state).stacks.values()].find((stack) => stack.boardId === boardId && stack.title === title)!;
const cardNamed = (title: string) => [...deckStore(sim.state).cards.values()].find((card) => card.title === title)!;

describe('boards', () => {
  it('creates the welcome board on the first request of a user, once', async () => {
    const first = await deck('carol', 'GET', '/boards');
    expect(first.status).toBe(200);
    expect(first.json.map((board: { title: string }) => board.title)).toEqual(['Welcome to Nextcloud Deck!']);
    const again = await deck('carol', 'GET', '/boards');
    expect(again.json).toHaveLength(1);
  });

  it("lists alice's own boards with her permissions and bob's view of the shared board as read-only", async () => {
    const alice = await deck('alice', 'GET', '/boards');
    const launch = alice.json.find((board: { title: string }) => board.title === 'Product launch');
    expect(launch).toMatchObject({
      owner: { uid: 'alice', displayname: 'Alice Liddell', primaryKey: 'alice', type: 0 },
      archived: false,
      deletedAt: 0,
      permissions: { PERMISSION_READ: true, PERMISSION_EDIT: true, PERMISSION_MANAGE: true, PERMISSION_SHARE: true },
      ETag: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    expect(launch.acl[0]).toMatchObject({ participant: { uid: 'bob' }, permissionEdit: false, type: 0 });
    expect(launch.labels.map((label: { title: string }) => label.title)).toEqual(['Finished', 'To review', 'Action needed', 'Later']);
    const bob = await deck('bob', 'GET', '/boards');
    const shared = bob.json.find((board: { title: string }) => board.title === 'Product launch');
    expect(shared.permissions).toEqual({
      PERMISSION_READ: true,
      PERMISSION_EDIT: false,
      PERMISSION_MANAGE: false,
      PERMISSION_SHARE: false,
    });
    expect((await deck('carol', 'GET', '/boards')).json.map((board: { title: string }) => board.title)).not.toContain('Product launch');
  });

  it('keeps soft-deleted and archived boards in the list, and answers 403 for a deleted board', async () => {
    const created = await deck('bob', 'POST', '/boards', { title: 'Scratch', color: 'ff0000' });
    expect(created.status).toBe(200);
    expect(created.json.labels).toHaveLength(4);
    const archived = await deck('bob', 'POST', '/boards', { title: 'Old', color: '00ff00' });
    expect((await deck('bob', 'PUT', `/boards/${archived.json.id}`, { title: 'Old', color: '00ff00', archived: true })).json.archived).toBe(
      true,
    );
    expect((await deck('bob', 'DELETE', `/boards/${created.json.id}`)).json.deletedAt).toBeGreaterThan(0);
    const list = (await deck('bob', 'GET', '/boards')).json as { id: number; deletedAt: number; archived: boolean }[];
    expect(list.find((board) => board.id === created.json.id)?.deletedAt).toBeGreaterThan(0);
    expect(list.find((board) => board.id === archived.json.id)?.archived).toBe(true);
    expect(await deck('bob', 'GET', `/boards/${created.json.id}`)).toMatchObject({
      status: 403,
      json: { status: 403, message: 'Permission denied' },
    });
  });

  it('answers 403, never 404, for a board that does not exist or is not shared with the user', async () => {
    expect(await deck('alice', 'GET', '/boards/99999')).toMatchObject({ status: 403, json: { status: 403, message: 'Permission denied' } });
    expect((await deck('carol', 'GET', `/boards/${launchBoard().id}`)).status).toBe(403);
  });

  it('sends a quoted ETag of md5(lastModified) and 304 for a matching If-None-Match', async () => {
    const board = await deck('alice', 'GET', `/boards/${launchBoard().id}`);
    expect(board.etag).toBe(`"${board.json.ETag}"`);
    expect(board.json.ETag).toBe(md5(String(board.json.lastModified)));
    const again = await deck('alice', 'GET', `/boards/${launchBoard().id}`, undefined, { 'if-none-match': board.etag! });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    const card = cardNamed('Order the launch cake');
    const path = `/boards/${launchBoard().id}/stacks/${card.stackId}/cards/${card.id}`;
    const read = await deck('alice', 'GET', path);
    expect((await deck('alice', 'GET', path, undefined, { 'if-none-match': read.etag! })).status).toBe(304);
    // A change to the card changes the card's and the board's ETags.
    await deck('alice', 'PUT', `${path}/assignLabel`, { labelId: launchLabel('Finished') });
    expect((await deck('alice', 'GET', path, undefined, { 'if-none-match': read.etag! })).status).toBe(200);
    expect((await deck('alice', 'GET', `/boards/${launchBoard().id}`, undefined, { 'if-none-match': board.etag! })).status).toBe(200);
  });
});

const launchLabel = (title: string) =>
  [...deckStore(sim.state).labels.values()].find((label) => label.boardId === launchBoard().id && label.title === title)!.id;

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

describe('stacks and cards', () => {
  it('lists stacks with their open cards and leaves "cards" out of an empty stack', async () => {
    const board = launchBoard();
    const stacks = (await deck('bob', 'GET', `/boards/${board.id}/stacks`)).json as Record<string, unknown>[];
    expect(stacks.map((stack) => stack.title)).toEqual(['To do', 'Doing', 'Done']);
    const todo = stacks[0] as { cards: Record<string, any>[] };
    expect(todo.cards.map((card) => card.title)).toEqual(['Write the press release', 'Order the launch cake']);
    expect(todo.cards[0]).toMatchObject({
      description: 'Two paragraphs, with a quote from the CEO.',
      duedate: '2030-03-01T09:00:00+00:00',
      owner: { uid: 'alice' },
      labels: [{ title: 'Action needed', cardId: todo.cards[0]!.id, boardId: board.id }],
      assignedUsers: [{ participant: { uid: 'alice' }, type: 0, cardId: todo.cards[0]!.id }],
      type: 'plain',
      archived: false,
      deletedAt: 0,
    });
    const empty = await deck('alice', 'POST', `/boards/${board.id}/stacks`, { title: 'Later', order: 5 });
    expect(empty.json).not.toHaveProperty('cards');
    const listed = (await deck('alice', 'GET', `/boards/${board.id}/stacks`)).json as Record<string, unknown>[];
    expect(listed.find((stack) => stack.id === empty.json.id)).not.toHaveProperty('cards');
  });

  it('replaces a card whole on PUT: what the request leaves out is cleared', async () => {
    const board = launchBoard();
    const todo = stackNamed(board.id, 'To do');
    const created = await deck('alice', 'POST', `/boards/${board.id}/stacks/${todo.id}/cards`, {
      title: 'Replace me',
      description: 'keep?',
      duedate: '2031-01-01T10:00:00Z',
    });
    expect(created.json).toMatchObject({ description: 'keep?', duedate: '2031-01-01T10:00:00+00:00', order: 999 });
    const path = `/boards/${board.id}/stacks/${todo.id}/cards/${created.json.id}`;
    const replaced = await deck('alice', 'PUT', path, { title: 'Replaced', type: 'plain', owner: 'alice' });
    expect(replaced.status).toBe(200);
    expect(replaced.json).toMatchObject({ title: 'Replaced', description: '', duedate: null, order: 0, done: null });
    expect((await deck('alice', 'PUT', path, { type: 'plain', owner: 'alice' })).status).toBe(400);
    expect((await deck('alice', 'PUT', path, { title: '', type: 'plain', owner: 'alice' })).json).toEqual({
      status: 400,
      message: 'title must be provided and must be not empty',
    });
  });

  it('refuses card writes to a read-only sharee with 403 and lets the sharee read', async () => {
    const card = cardNamed('Design the landing page');
    const board = launchBoard();
    const path = `/boards/${board.id}/stacks/${card.stackId}/cards/${card.id}`;
    expect((await deck('bob', 'GET', path)).json.title).toBe('Design the landing page');
    for (const [method, suffix, body] of [
      ['PUT', '', { title: 'x', type: 'plain', owner: 'alice' }],
      ['PUT', '/archive', {}],
      ['PUT', '/reorder', { stackId: card.stackId, order: 0 }],
      ['DELETE', '', undefined],
    ] as const) {
      expect(await deck('bob', method, path + suffix, body)).toMatchObject({ status: 403, json: { message: 'Permission denied' } });
    }
    expect((await deck('bob', 'POST', `/boards/${board.id}/stacks/${card.stackId}/cards`, { title: 'no' })).status).toBe(403);
    expect((await deck('carol', 'GET', path)).status).toBe(403);
    expect((await deck('alice', 'GET', `/boards/${board.id}/stacks/${card.stackId}/cards/99999`)).status).toBe(403);
  });

  it('archives, answers 500 with the message for an update of an archived card, and unarchives', async () => {
    const card = cardNamed('Order the launch cake');
    const path = `/boards/${launchBoard().id}/stacks/${card.stackId}/cards/${card.id}`;
    expect((await deck('alice', 'PUT', `${path}/archive`)).json.archived).toBe(true);
    const archived = (await deck('alice', 'GET', `/boards/${launchBoard().id}/stacks/archived`)).json as { cards?: { id: number }[] }[];
    expect(archived.flatMap((stack) => stack.cards ?? []).map((item) => item.id)).toContain(card.id);
    expect(await deck('alice', 'PUT', path, { title: 'x', type: 'plain', owner: 'alice' })).toMatchObject({
      status: 500,
      json: { message: 'Operation not allowed. This card is archived.' },
    });
    expect((await deck('alice', 'PUT', `${path}/unarchive`)).json.archived).toBe(false);
  });

  it('moves a card to another stack at a position and renumbers the target', async () => {
    const board = launchBoard();
    const card = cardNamed('Write the press release');
    const doing = stackNamed(board.id, 'Doing');
    const moved = await deck('alice', 'PUT', `/boards/${board.id}/stacks/${doing.id}/cards/${card.id}/reorder`, {
      stackId: doing.id,
      order: 0,
    });
    expect(moved.status).toBe(200);
    expect(moved.json.map((item: { title: string; order: number }) => [item.title, item.order])).toEqual([
      ['Write the press release', 0],
      ['Design the landing page', 1],
    ]);
    expect(cardNamed('Write the press release').stackId).toBe(doing.id);
  });

  it('assigns and unassigns labels and users with Deck’s errors', async () => {
    const board = launchBoard();
    const card = cardNamed('Book the venue');
    const path = `/boards/${board.id}/stacks/${card.stackId}/cards/${card.id}`;
    const foreign = [...deckStore(sim.state).labels.values()].find((label) => label.boardId !== board.id)!;
    expect((await deck('alice', 'PUT', `${path}/assignLabel`, { labelId: foreign.id })).json.message).toBe(
      'Operation not allowed. Label does not exist.',
    );
    expect((await deck('alice', 'PUT', `${path}/assignUser`, { userId: 'carol' })).status).toBe(400);
    const assigned = await deck('alice', 'PUT', `${path}/assignUser`, { userId: 'bob' });
    expect(assigned.json).toMatchObject({ participant: { uid: 'bob' }, cardId: card.id, type: 0 });
    expect((await deck('alice', 'PUT', `${path}/assignUser`, { userId: 'bob' })).status).toBe(400);
    expect((await deck('alice', 'PUT', `${path}/unassignUser`, { userId: 'bob' })).status).toBe(200);
    expect((await deck('alice', 'PUT', `${path}/unassignUser`, { userId: 'bob' })).status).toBe(404);
  });

  it('soft-deletes a card: gone from the lists, still readable with deletedAt', async () => {
    const board = launchBoard();
    const todo = stackNamed(board.id, 'To do');
    const created = await deck('alice', 'POST', `/boards/${board.id}/stacks/${todo.id}/cards`, { title: 'Doomed' });
    const path = `/boards/${board.id}/stacks/${todo.id}/cards/${created.json.id}`;
    expect((await deck('alice', 'DELETE', path)).json.deletedAt).toBeGreaterThan(0);
    const stacks = (await deck('alice', 'GET', `/boards/${board.id}/stacks`)).json as { cards?: { id: number }[] }[];
    expect(stacks.flatMap((stack) => stack.cards ?? []).map((item) => item.id)).not.toContain(created.json.id);
  });
});

describe('sharing and management', () => {
  it('grants edit through a group ACL row, and the user row wins over the group row', async () => {
    const created = await deck('bob', 'POST', '/boards', { title: 'Team', color: '123456' });
    const boardId = created.json.id as number;
    const stackId = (await deck('bob', 'POST', `/boards/${boardId}/stacks`, { title: 'Inbox', order: 0 })).json.id as number;
    expect((await deck('alice', 'POST', `/boards/${boardId}/stacks/${stackId}/cards`, { title: 'Hi' })).status).toBe(403);
    const group = await deck('bob', 'POST', `/boards/${boardId}/acl`, { type: 1, participant: 'staff', permissionEdit: true });
    expect(group.json).toMatchObject({ participant: { uid: 'staff', displayname: 'Staff', type: 1 }, permissionEdit: true, boardId });
    expect((await deck('alice', 'POST', `/boards/${boardId}/stacks/${stackId}/cards`, { title: 'Hi' })).status).toBe(200);
    const own = await deck('bob', 'POST', `/boards/${boardId}/acl`, { type: 0, participant: 'alice', permissionEdit: false });
    expect((await deck('alice', 'GET', `/boards/${boardId}`)).json.permissions.PERMISSION_EDIT).toBe(false);
    expect((await deck('alice', 'POST', `/boards/${boardId}/stacks/${stackId}/cards`, { title: 'Again' })).status).toBe(403);
    await deck('bob', 'PUT', `/boards/${boardId}/acl/${own.json.id}`, { permissionEdit: true });
    expect((await deck('alice', 'GET', `/boards/${boardId}`)).json.permissions.PERMISSION_EDIT).toBe(true);
    expect((await deck('alice', 'DELETE', `/boards/${boardId}/acl/${own.json.id}`)).status).toBe(403);
    expect((await deck('carol', 'GET', `/boards/${boardId}`)).status).toBe(403);
  });

  it('lets only managers change stacks and labels, and restores a deleted board', async () => {
    const board = launchBoard();
    const todo = stackNamed(board.id, 'To do');
    expect((await deck('bob', 'PUT', `/boards/${board.id}/stacks/${todo.id}`, { title: 'Mine', order: 0 })).status).toBe(403);
    expect((await deck('bob', 'DELETE', `/boards/${board.id}/labels/${launchLabel('Later')}`)).status).toBe(403);
    const labels = (await deck('bob', 'GET', `/boards/${board.id}/labels`)).json as { title: string }[];
    expect(labels.map((label) => label.title)).toContain('Later');
    const scratch = await deck('alice', 'POST', '/boards', { title: 'Temporary', color: 'abcdef' });
    await deck('alice', 'DELETE', `/boards/${scratch.json.id}`);
    expect((await deck('alice', 'GET', `/boards/${scratch.json.id}`)).status).toBe(403);
    expect((await deck('alice', 'POST', `/boards/${scratch.json.id}/undo_delete`)).json.deletedAt).toBe(0);
    expect((await deck('alice', 'GET', `/boards/${scratch.json.id}`)).status).toBe(200);
  });

  it('treats If-Modified-Since on stacks as a filter of cards, never a 304', async () => {
    const board = launchBoard();
    const later = new Date((deckStore(sim.state).lastStamp + 1) * 1000).toUTCString();
    const stacks = await deck('alice', 'GET', `/boards/${board.id}/stacks`, undefined, { 'if-modified-since': later });
    expect(stacks.status).toBe(200);
    expect(stacks.json.map((stack: { title: string }) => stack.title)).toEqual(expect.arrayContaining(['To do', 'Doing', 'Done']));
    expect(stacks.json.every((stack: Record<string, unknown>) => !('cards' in stack))).toBe(true);
    const bad = await deck('alice', 'GET', '/boards', undefined, { 'if-modified-since': 'yesterday-ish' });
    expect(bad).toMatchObject({ status: 500, json: { message: 'Invalid If-Modified-Since header provided.' } });
  });
});

describe('when Deck is missing', () => {
  it('answers 404 without JSON when Deck is not installed', async () => {
    sim.state.nextcloudApps.delete('deck');
    const answer = await deck('alice', 'GET', '/boards');
    expect(answer.status).toBe(404);
    expect(answer.json).toBeUndefined();
  });

  it('answers 412 "App is not enabled" to a user outside the groups Deck is limited to', async () => {
    sim.state.nextcloudApps.set('deck', { groups: ['interns'] });
    expect(await deck('alice', 'GET', '/boards')).toMatchObject({ status: 412, json: { message: 'App is not enabled' } });
    expect((await deck('carol', 'GET', '/boards')).status).toBe(200);
  });
});
