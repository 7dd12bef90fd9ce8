// The Deck tools as simulator users: alice owns "Product launch", bob may only read it, carol is not on it.
// Reads, writes that change only what they name, refusals on read-only boards before anything is sent, the
// delete plan, and Deck missing or not enabled.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createNextcloud } from '../../../lib/index.js';
import type { Nextcloud } from '../../../lib/index.js';
import type { ToolContext } from '../../../src/tools/tool.js';
import { isWriteTool } from '../../../src/tools/tool.js';
import {
  deckArchiveCard,
  deckCreateCard,
  deckDeleteCard,
  deckGetBoard,
  deckGetCard,
  deckListBoards,
  deckMoveCard,
  deckTools,
  deckUpdateCard,
} from '../../../src/tools/deck/index.js';
import { DEFAULT_POLICY } from '../../../src/policy/policy.js';
import type { Simulator } from '../../nextcloud-sim/index.js';
import { deckStore } from '../../nextcloud-sim/deck/store.js';
import { startLibFixture } from '../../support/lib-fixture.js';
import type { ToolHarness } from '../../support/tool-harness.js';
import { toolHarness } from '../../support/tool-harness.js';

let sim: Simulator;
let nextcloud: Nextcloud;
let tools: ToolHarness;
let secret: string;

beforeAll(async () => {
  ({ sim, nextcloud, secret } = await startLibFixture({ dav: false }));
  tools = toolHarness(nextcloud, 'https://cloud.example.com');
});
afterAll(() => sim?.stop());
beforeEach(() => sim.state.nextcloudApps.set('deck', { groups: [] }));

const store = () => deckStore(sim.state);
const launch = () => [...store().boards.values()].find((board) => board.title === 'Product launch')!;
const stackNamed = (title: string) => [...store().stacks.values()].find((stack) => stack.boardId === launch().id && stack.title === title)!;
const cardNamed = (title: string) => [...store().cards.values()].find((card) => card.title === title)!;
/** A snapshot of everything Deck holds for the card, to prove a refused call changed nothing. */
const snapshot = (title: string) => JSON.stringify(cardNamed(title));

type Card = {
  id: number;
  title: string;
  description: string;
  dueDate?: string;
  done: boolean;
  archived: boolean;
  list: string;
  labels: { id: number; title: string }[];
  assignees: { id: string; name: string }[];
  changed?: string[] | boolean;
};

function contextFor(userId: string): ToolContext {
  return {
    user: nextcloud.as(userId),
    userId,
    clientId: 'test-client',
    scopes: [],
    policy: DEFAULT_POLICY,
    webRoot: 'https://cloud.example.com',
    signal: new AbortController().signal,
    progress: async () => {},
    audit: () => {},
  };
}

describe('declarations', () => {
  it('reads with deck.read, writes with deck.write, all tied to the Deck app', () => {
    expect(deckTools.map((tool) => tool.name)).toEqual([
      'deck_list_boards',
      'deck_get_board',
      'deck_get_card',
      'deck_create_card',
      'deck_update_card',
      'deck_move_card',
      'deck_archive_card',
      'deck_delete_card',
    ]);
    for (const tool of deckTools) {
      expect(tool.app).toBe('deck');
      expect(tool.scopes).toEqual({ allOf: [isWriteTool(tool) ? 'deck.write' : 'deck.read'] });
      expect(tool.annotations.readOnlyHint).toBe(!isWriteTool(tool));
    }
    expect(deckTools.filter((tool) => tool.plan).map((tool) => tool.name)).toEqual(['deck_update_card', 'deck_delete_card']);
    // No output schema allows null (src/tools/absent.ts).
    for (const tool of deckTools) expect(JSON.stringify(tool.output.toJSONSchema())).not.toContain('"null"');
  });
});

describe('reading', () => {
  it('lists boards: alice her own, bob his and the shared one read-only, carol neither', async () => {
    const alice = (await tools.call(deckListBoards, {}, { user: 'alice' })).structured!.boards as { title: string; canEdit: boolean }[];
    expect(alice).toContainEqual(expect.objectContaining({ title: 'Product launch', canEdit: true }));
    const bob = (await tools.call(deckListBoards, {}, { user: 'bob' })).structured!.boards as {
      title: string;
      canEdit: boolean;
      owner: string;
    }[];
    expect(bob).toContainEqual(expect.objectContaining({ title: 'Product launch', canEdit: false, owner: 'alice' }));
    expect(bob).toContainEqual(expect.objectContaining({ title: 'Workshop', canEdit: true }));
    const carol = (await tools.call(deckListBoards, {}, { user: 'carol' })).structured!.boards as { title: string }[];
    expect(carol.map((board) => board.title)).toEqual(['Welcome to Nextcloud Deck!']);
  });

  it('shows a board with its lists and card summaries', async () => {
    const result = await tools.call(deckGetBoard, { boardId: launch().id }, { user: 'bob' });
    expect(result.isError).toBe(false);
    const board = result.structured as {
      canEdit: boolean;
      lists: { title: string; cards: Record<string, unknown>[] }[];
      labels: unknown[];
      people: unknown[];
    };
    expect(board.canEdit).toBe(false);
    expect(board.lists.map((list) => list.title)).toEqual(['To do', 'Doing', 'Done']);
    expect(board.lists[0]!.cards[0]).toEqual({
      id: cardNamed('Write the press release').id,
      title: 'Write the press release',
      dueDate: '2030-03-01T09:00:00+00:00',
      done: false,
      archived: false,
      labels: ['Action needed'],
      assignees: ['alice'],
    });
    expect(board.lists[2]!.cards[0]).toMatchObject({ title: 'Book the venue', done: true });
    expect(board.people).toEqual([
      { id: 'alice', name: 'Alice Liddell' },
      { id: 'bob', name: 'Bob Builder' },
    ]);
  });

  it('reads one card in full, and refuses a card that is not on the board named', async () => {
    const card = cardNamed('Design the landing page');
    const result = await tools.call(deckGetCard, { boardId: launch().id, cardId: card.id }, { user: 'bob' });
    expect(result.structured).toMatchObject({
      title: 'Design the landing page',
      description: 'Hero image and sign-up form.',
      board: 'Product launch',
      list: 'Doing',
      labels: [{ title: 'To review' }],
      assignees: [{ id: 'alice', name: 'Alice Liddell' }],
      done: false,
    });
    expect(result.structured).not.toHaveProperty('doneAt');
    const bobsCard = cardNamed('Build a birdhouse');
    const elsewhere = await tools.call(deckGetCard, { boardId: launch().id, cardId: bobsCard.id }, { user: 'alice' });
    expect(elsewhere.isError).toBe(true);
    expect(elsewhere.text).toContain("is not on Deck board 'Product launch'");
  });

  it("keeps carol out of alice's board without saying whether it exists", async () => {
    const result = await tools.call(deckGetBoard, { boardId: launch().id }, { user: 'carol' });
    expect(result.isError).toBe(true);
    expect(result.text).toContain('does not exist, or carol may not see or change it');
    const card = await tools.call(deckGetCard, { boardId: launch().id, cardId: cardNamed('Book the venue').id }, { user: 'carol' });
    expect(card.isError).toBe(true);
  });
});

describe('writing as alice', () => {
  it('creates a card with labels by title and id and assignees by name', async () => {
    const result = await tools.call(deckCreateCard, {
      boardId: launch().id,
      listId: stackNamed('To do').id,
      title: 'Send invitations',
      description: 'To the press list',
      dueDate: '2030-03-05T10:00:00+01:00',
      labels: ['action needed', [...store().labels.values()].find((label) => label.boardId === launch().id && label.title === 'Later')!.id],
      assignees: ['Bob Builder'],
    });
    expect(result.isError).toBe(false);
    expect(result.structured).toMatchObject({
      title: 'Send invitations',
      description: 'To the press list',
      dueDate: '2030-03-05T09:00:00+00:00',
      list: 'To do',
      labels: [{ title: 'Action needed' }, { title: 'Later' }],
      assignees: [{ id: 'bob' }],
    });
    const unknownLabel = await tools.call(deckCreateCard, {
      boardId: launch().id,
      listId: stackNamed('To do').id,
      title: 'x',
      labels: ['Urgent'],
    });
    expect(unknownLabel.isError).toBe(true);
    expect(unknownLabel.text).toContain("has no label 'Urgent'");
    const stranger = await tools.call(deckCreateCard, {
      boardId: launch().id,
      listId: stackNamed('To do').id,
      title: 'x',
      assignees: ['carol'],
    });
    expect(stranger.text).toContain("carol is not on Deck board 'Product launch'");
    const localTime = await tools.call(deckCreateCard, {
      boardId: launch().id,
      listId: stackNamed('To do').id,
      title: 'x',
      dueDate: '2030-03-05T10:00',
    });
    expect(localTime.isError).toBe(true);
  });

  it('updates only what it names, including done and labels and assignees added and removed', async () => {
    const card = cardNamed('Write the press release');
    const args = { boardId: launch().id, cardId: card.id };
    const renamed = (await tools.call(deckUpdateCard, { ...args, title: 'Write the press release!' })).structured as Card;
    expect(renamed).toMatchObject({
      title: 'Write the press release!',
      description: 'Two paragraphs, with a quote from the CEO.',
      dueDate: '2030-03-01T09:00:00+00:00',
      labels: [{ title: 'Action needed' }],
      assignees: [{ id: 'alice' }],
      changed: ['title'],
    });
    const marked = (
      await tools.call(deckUpdateCard, {
        ...args,
        done: true,
        addLabels: ['Finished'],
        removeLabels: ['Action needed'],
        addAssignees: ['bob'],
        removeAssignees: ['alice'],
      })
    ).structured as Card;
    expect(marked).toMatchObject({
      done: true,
      labels: [{ title: 'Finished' }],
      assignees: [{ id: 'bob' }],
      description: 'Two paragraphs, with a quote from the CEO.',
    });
    expect(marked.changed).toEqual(['done', 'labels', 'assignees']);
    const undone = (await tools.call(deckUpdateCard, { ...args, done: false, clearDueDate: true })).structured as Card;
    expect(undone).toMatchObject({ done: false, title: 'Write the press release!', labels: [{ title: 'Finished' }] });
    expect(undone).not.toHaveProperty('dueDate');
    const nothing = (await tools.call(deckUpdateCard, { ...args, done: false })).structured as Card;
    expect(nothing.changed).toEqual([]);
  });

  it('moves a card to another list, to the bottom unless a position is given', async () => {
    const card = cardNamed('Order the launch cake');
    const moved = await tools.call(deckMoveCard, { boardId: launch().id, cardId: card.id, toListId: stackNamed('Doing').id });
    expect(moved.structured).toMatchObject({ list: 'Doing', fromList: 'To do' });
    const doing = (await tools.call(deckGetBoard, { boardId: launch().id })).structured!.lists as {
      title: string;
      cards: { title: string }[];
    }[];
    expect(doing[1]!.cards.at(-1)!.title).toBe('Order the launch cake');
    await tools.call(deckMoveCard, { boardId: launch().id, cardId: card.id, toListId: stackNamed('To do').id, position: 0 });
    expect(cardNamed('Order the launch cake')).toMatchObject({ stackId: stackNamed('To do').id, order: 0 });
    const elsewhere = await tools.call(deckMoveCard, { boardId: launch().id, cardId: card.id, toListId: 99999 });
    expect(elsewhere.text).toContain('has no list 99999');
    // Deck itself would move the card onto another board alice may edit; the tool keeps it on the board named.
    await tools.call(deckListBoards, {});
    const welcome = [...store().boards.values()].find((board) => board.owner === 'alice' && board.id !== launch().id)!;
    const otherList = [...store().stacks.values()].find((stack) => stack.boardId === welcome.id)!;
    const across = await tools.call(deckMoveCard, { boardId: launch().id, cardId: card.id, toListId: otherList.id });
    expect(across.isError).toBe(true);
    expect(across.text).toContain(`has no list ${otherList.id}`);
    expect(cardNamed('Order the launch cake')).toMatchObject({ stackId: stackNamed('To do').id });
  });

  it('archives and unarchives a card, and refuses to change an archived one', async () => {
    const card = cardNamed('Book the venue');
    const args = { boardId: launch().id, cardId: card.id };
    expect((await tools.call(deckArchiveCard, args)).structured).toMatchObject({ archived: true, changed: true });
    expect((await tools.call(deckArchiveCard, args)).structured).toMatchObject({ archived: true, changed: false });
    const board = (await tools.call(deckGetBoard, { boardId: launch().id })).structured!.lists as { cards: { title: string }[] }[];
    expect(board.flatMap((list) => list.cards).map((item) => item.title)).not.toContain('Book the venue');
    const update = await tools.call(deckUpdateCard, { ...args, title: 'x' });
    expect(update.text).toContain('is archived; unarchive it');
    expect((await tools.call(deckArchiveCard, { ...args, archived: false })).structured).toMatchObject({ archived: false, changed: true });
  });

  it('plans a delete by naming the card and board, then deletes it softly', async () => {
    const created = (
      await tools.call(deckCreateCard, { boardId: launch().id, listId: stackNamed('Doing').id, title: 'Rent a photo booth' })
    ).structured as Card;
    const args = { boardId: launch().id, cardId: created.id };
    const plan = await deckDeleteCard.plan!(args, contextFor('alice'));
    expect(plan).toContain("'Rent a photo booth'");
    expect(plan).toContain("board 'Product launch'");
    expect(plan).toContain('restored');
    const deleted = await tools.call(deckDeleteCard, args);
    expect(deleted.structured).toMatchObject({ title: 'Rent a photo booth', board: 'Product launch', list: 'Doing' });
    expect(store().cards.get(created.id)!.deletedAt).toBeGreaterThan(0);
    expect((await tools.call(deckGetCard, args)).isError).toBe(true);
  });
});

describe('writing as bob on the board alice shares read-only', () => {
  it('refuses create, update, move, archive and delete before calling Deck, naming the board', async () => {
    const card = cardNamed('Design the landing page');
    const before = snapshot('Design the landing page');
    const cardCount = store().cards.size;
    const args = { boardId: launch().id, cardId: card.id };
    const attempts = [
      await tools.call(deckCreateCard, { boardId: launch().id, listId: stackNamed('To do').id, title: 'Mine' }, { user: 'bob' }),
      await tools.call(deckUpdateCard, { ...args, title: 'Mine' }, { user: 'bob' }),
      await tools.call(deckMoveCard, { ...args, toListId: stackNamed('Done').id }, { user: 'bob' }),
      await tools.call(deckArchiveCard, args, { user: 'bob' }),
      await tools.call(deckDeleteCard, args, { user: 'bob' }),
    ];
    for (const attempt of attempts) {
      expect(attempt.isError).toBe(true);
      expect(attempt.text).toContain("Deck board 'Product launch' is shared with bob read-only");
    }
    await expect(deckDeleteCard.plan!(args, contextFor('bob'))).rejects.toThrow('read-only');
    expect(snapshot('Design the landing page')).toBe(before);
    expect(store().cards.size).toBe(cardCount);
  });

  it('lets bob change cards once alice grants edit', async () => {
    const row = launch().acl.find((entry) => entry.participant === 'bob')!;
    row.permissionEdit = true;
    try {
      const card = cardNamed('Design the landing page');
      const result = await tools.call(deckUpdateCard, { boardId: launch().id, cardId: card.id, addAssignees: ['bob'] }, { user: 'bob' });
      expect(result.structured).toMatchObject({ changed: ['assignees'] });
    } finally {
      row.permissionEdit = false;
    }
  });
});

describe('a broken answer', () => {
  it('is reported as an unexpected answer, not as a board without cards', async () => {
    const broken = createNextcloud({
      baseUrl: sim.url,
      appId: 'mcp_gateway',
      appVersion: '0.1.0',
      appSecret: secret,
      fetch: async (input, init) =>
        String(input).includes('/stacks') ? Response.json([{ id: 1, title: 'To do', cards: 'none' }]) : fetch(input, init),
    });
    const result = await toolHarness(broken, 'https://cloud.example.com').call(deckGetBoard, { boardId: launch().id });
    expect(result.isError).toBe(true);
    expect(result.text).toContain('in an unexpected way');
    expect(result.text).toContain('cards');
  });
});

describe('when Deck is missing', () => {
  it('says Deck is not installed', async () => {
    sim.state.nextcloudApps.delete('deck');
    const result = await tools.call(deckListBoards, {});
    expect(result.isError).toBe(true);
    expect(result.text).toContain('Deck is not installed');
  });

  it("says Deck is not enabled for a user outside Deck's groups", async () => {
    sim.state.nextcloudApps.set('deck', { groups: ['interns'] });
    const result = await tools.call(deckGetBoard, { boardId: launch().id }, { user: 'bob' });
    expect(result.isError).toBe(true);
    expect(result.text).toContain('Deck is not enabled for bob');
    expect((await tools.call(deckListBoards, {}, { user: 'carol' })).isError).toBe(false);
  });
});
