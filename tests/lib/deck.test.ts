// DeckClient against the simulated Deck: reading boards and cards, updates that never clear what they do not
// mention, moves, archiving, assignments, soft deletes, and Deck's failures worded as what is actually known.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createNextcloud, isNextcloudError } from '../../lib/index.js';
import type { Nextcloud } from '../../lib/index.js';
import type { DeckCardRef } from '../../lib/deck.js';
import type { Simulator } from '../nextcloud-sim/index.js';
import { deckStore } from '../nextcloud-sim/deck/store.js';
import type { LibFixture } from '../support/lib-fixture.js';
import { failure, startLibFixture } from '../support/lib-fixture.js';

let fixture: LibFixture;
let sim: Simulator;
let nextcloud: Nextcloud;

beforeAll(async () => {
  fixture = await startLibFixture({ dav: false });
  ({ sim, nextcloud } = fixture);
});
afterAll(() => sim?.stop());
beforeEach(() => sim.state.nextcloudApps.set('deck', { groups: [] }));

const store = () => deckStore(sim.state);
const launch = () => [...store().boards.values()].find((board) => board.title === 'Product launch')!;
const stackNamed = (title: string) => [...store().stacks.values()].find((stack) => stack.boardId === launch().id && stack.title === title)!;
const cardNamed = (title: string) => [...store().cards.values()].find((card) => card.title === title)!;
const refOf = (title: string): DeckCardRef => {
  const card = cardNamed(title);
  return { boardId: launch().id, stackId: card.stackId, cardId: card.id };
};
const labelId = (title: string) => [...store().labels.values()].find((label) => label.boardId === launch().id && label.title === title)!.id;

describe('reading', () => {
  it("lists alice's boards (her welcome board too) and flags bob's read-only view of the shared one", async () => {
    const alice = await nextcloud.as('alice').deck.boards();
    expect(alice.map((board) => board.title).sort()).toEqual(['Product launch', 'Welcome to Nextcloud Deck!']);
    expect(alice.find((board) => board.title === 'Product launch')).toMatchObject({ owner: 'alice', canEdit: true, archived: false });
    const bob = await nextcloud.as('bob').deck.boards();
    expect(bob.find((board) => board.title === 'Product launch')).toMatchObject({
      owner: 'alice',
      ownerName: 'Alice Liddell',
      canEdit: false,
    });
  });

  it('leaves soft-deleted boards out and flags archived ones', async () => {
    const gone = { ...launch(), id: 9001, title: 'Gone', deletedAt: 1, acl: [] };
    const old = { ...launch(), id: 9002, title: 'Old', archived: true, acl: [] };
    store().boards.set(gone.id, gone);
    store().boards.set(old.id, old);
    try {
      const boards = await nextcloud.as('alice').deck.boards();
      expect(boards.map((board) => board.title)).not.toContain('Gone');
      expect(boards.find((board) => board.title === 'Old')?.archived).toBe(true);
    } finally {
      store().boards.delete(gone.id);
      store().boards.delete(old.id);
    }
  });

  it('reads the stacks in order with their cards, and one card in full', async () => {
    const stacks = await nextcloud.as('bob').deck.stacks(launch().id);
    expect(stacks.map((stack) => stack.title)).toEqual(['To do', 'Doing', 'Done']);
    const card = await nextcloud.as('bob').deck.card(refOf('Design the landing page'));
    expect(card).toMatchObject({
      title: 'Design the landing page',
      description: 'Hero image and sign-up form.',
      duedate: '2030-02-15T17:00:00+00:00',
      owner: 'alice',
      labels: [{ title: 'To review' }],
      assignees: [{ id: 'alice', name: 'Alice Liddell', type: 'user' }],
      done: null,
      deleted: false,
    });
    expect((await nextcloud.as('bob').deck.card(refOf('Book the venue'))).done).toBe('2030-01-10T12:00:00+00:00');
  });
});

describe('updating', () => {
  it('changes the title and keeps description, due date, labels, assignees, order and start date', async () => {
    const ref = refOf('Write the press release');
    cardNamed('Write the press release').startdate = '2030-02-01T08:00:00+00:00';
    const before = await nextcloud.as('alice').deck.card(ref);
    expect(before.description).not.toBe('');
    expect(before.duedate).not.toBeNull();
    expect(before.labels).not.toHaveLength(0);
    const after = await nextcloud.as('alice').deck.updateCard(ref, { title: 'Write the press release (v2)' });
    expect(after).toMatchObject({
      title: 'Write the press release (v2)',
      description: before.description,
      duedate: before.duedate,
      startdate: '2030-02-01T08:00:00+00:00',
      order: before.order,
      labels: before.labels,
      assignees: before.assignees,
      owner: 'alice',
      done: null,
    });
    await nextcloud.as('alice').deck.updateCard(ref, { title: 'Write the press release' });
  });

  it('marks done and undone without touching the rest, and clears only what it is told to', async () => {
    const ref = refOf('Design the landing page');
    const done = await nextcloud.as('alice').deck.updateCard(ref, { done: '2030-02-10T10:00:00+01:00' });
    expect(done).toMatchObject({
      done: '2030-02-10T09:00:00+00:00',
      description: 'Hero image and sign-up form.',
      duedate: '2030-02-15T17:00:00+00:00',
    });
    const undone = await nextcloud.as('alice').deck.updateCard(ref, { done: null, duedate: null });
    expect(undone).toMatchObject({
      done: null,
      duedate: null,
      description: 'Hero image and sign-up form.',
      labels: [{ title: 'To review' }],
    });
    await nextcloud.as('alice').deck.updateCard(ref, { duedate: '2030-02-15T17:00:00Z' });
    expect(cardNamed('Design the landing page').duedate).toBe('2030-02-15T17:00:00+00:00');
  });

  it('creates a card with labels and assignees', async () => {
    const card = await nextcloud.as('alice').deck.createCard(launch().id, stackNamed('To do').id, {
      title: 'Print flyers',
      description: 'A5, 500 copies',
      duedate: '2030-04-01',
      labelIds: [labelId('Later')],
      assignees: ['bob'],
    });
    expect(card).toMatchObject({
      title: 'Print flyers',
      description: 'A5, 500 copies',
      duedate: '2030-04-01T00:00:00+00:00',
      labels: [{ title: 'Later' }],
      assignees: [{ id: 'bob' }],
      owner: 'alice',
    });
  });

  it('moves a card to another stack at a position', async () => {
    const ref = refOf('Order the launch cake');
    const moved = await nextcloud.as('alice').deck.moveCard(ref, stackNamed('Done').id, 0);
    expect(moved).toMatchObject({ stackId: stackNamed('Done').id, order: 0, title: 'Order the launch cake' });
    expect(cardNamed('Book the venue').order).toBe(1);
    await nextcloud.as('alice').deck.moveCard({ ...ref, stackId: stackNamed('Done').id }, stackNamed('To do').id, 1);
  });

  it('archives and unarchives, assigns and unassigns labels and users', async () => {
    const ref = refOf('Book the venue');
    const deck = nextcloud.as('alice').deck;
    expect((await deck.setArchived(ref, true)).archived).toBe(true);
    const refused = await failure(deck.updateCard(ref, { title: 'x' }));
    expect(refused).toMatchObject({ code: 'conflict', status: 500 });
    expect(refused.message).toContain('This card is archived');
    expect((await deck.setArchived(ref, false)).archived).toBe(false);
    await deck.assignLabel(ref, labelId('Later'));
    await deck.assignUser(ref, 'bob');
    expect(await deck.card(ref)).toMatchObject({ labels: [{ title: 'Finished' }, { title: 'Later' }], assignees: [{ id: 'bob' }] });
    await deck.removeLabel(ref, labelId('Later'));
    await deck.unassignUser(ref, 'bob');
    expect(await deck.card(ref)).toMatchObject({ labels: [{ title: 'Finished' }], assignees: [] });
    expect(await failure(deck.unassignUser(ref, 'bob'))).toMatchObject({ code: 'not_found', status: 404 });
  });

  it('deletes softly: the card leaves its stack and reads back as deleted', async () => {
    const deck = nextcloud.as('alice').deck;
    const created = await deck.createCard(launch().id, stackNamed('Doing').id, { title: 'Temporary' });
    const ref = { boardId: launch().id, stackId: stackNamed('Doing').id, cardId: created.id };
    expect((await deck.deleteCard(ref)).deleted).toBe(true);
    const stacks = await deck.stacks(launch().id);
    expect(stacks.flatMap((stack) => stack.cards).map((card) => card.id)).not.toContain(created.id);
    expect((await deck.card(ref)).deleted).toBe(true);
  });
});

describe('failures', () => {
  it('words Deck’s 403 as not found or not allowed, without claiming which', async () => {
    const missing = await failure(nextcloud.as('alice').deck.board(424242));
    const hidden = await failure(nextcloud.as('carol').deck.board(launch().id));
    for (const error of [missing, hidden]) {
      expect(error).toMatchObject({ code: 'forbidden', status: 403, remoteMessage: 'Permission denied' });
      expect(error.message).toMatch(/does not exist, or \w+ may not see or change it \(Deck does not say which\)/);
    }
    const readOnly = await failure(nextcloud.as('bob').deck.updateCard(refOf('Book the venue'), { title: 'mine now' }));
    expect(readOnly.code).toBe('forbidden');
    expect(cardNamed('Book the venue').title).toBe('Book the venue');
  });

  it('says when Deck is not installed, and when it is not enabled for the user', async () => {
    sim.state.nextcloudApps.delete('deck');
    const absent = await failure(nextcloud.as('alice').deck.boards());
    expect(absent).toMatchObject({ code: 'not_found', status: 404 });
    expect(absent.message).toContain('Deck is not installed');
    sim.state.nextcloudApps.set('deck', { groups: ['interns'] });
    const disabled = await failure(nextcloud.as('alice').deck.boards());
    expect(disabled).toMatchObject({ status: 412 });
    expect(disabled.message).toContain('Deck is not enabled for alice');
    expect(await nextcloud.as('carol').deck.boards()).not.toHaveLength(0);
  });

  it('reports a malformed or non-JSON answer as a protocol error, never as an empty result', async () => {
    const answers: Record<string, () => Response> = {
      shape: () => Response.json([{ id: 'one', title: 7 }]),
      html: () => new Response('<html>login</html>', { headers: { 'content-type': 'text/html' } }),
      cut: () => new Response('[{"id": 1, "tit', { headers: { 'content-type': 'application/json' } }),
    };
    for (const [kind, answer] of Object.entries(answers)) {
      const broken = createNextcloud({
        baseUrl: sim.url,
        appId: 'mcp_gateway',
        appVersion: '0.1.0',
        appSecret: fixture.secret,
        fetch: async () => answer(),
      });
      const error = await failure(broken.as('alice').deck.boards());
      expect(error.code, kind).toBe('protocol');
      expect(error.message, kind).toContain('unexpected way');
    }
  });

  it('sends the headers Deck asks for and dates in UTC', async () => {
    const seen: { method: string; headers: Headers; body: string }[] = [];
    const recording = createNextcloud({
      baseUrl: sim.url,
      appId: 'mcp_gateway',
      appVersion: '0.1.0',
      appSecret: fixture.secret,
      fetch: async (input, init) => {
        seen.push({ method: init?.method ?? 'GET', headers: new Headers(init?.headers), body: String(init?.body ?? '') });
        return fetch(input, init);
      },
    });
    const ref = refOf('Write the press release');
    await recording.as('alice').deck.updateCard(ref, { duedate: '2030-03-01T10:00:00+01:00' });
    for (const request of seen) {
      expect(request.headers.get('ocs-apirequest')).toBe('true');
      expect(request.headers.get('accept')).toBe('application/json');
      expect(request.headers.get('content-type')).toBe('application/json');
    }
    const put = JSON.parse(seen.find((request) => request.method === 'PUT')!.body) as Record<string, unknown>;
    expect(put).toMatchObject({ title: 'Write the press release', type: 'plain', owner: 'alice', duedate: '2030-03-01T09:00:00+00:00' });
    expect(put.description).toBe('Two paragraphs, with a quote from the CEO.');
  });

  it('sends a date it keeps back as Deck sent it when it cannot read it, rather than blame the caller', async () => {
    const ref = refOf('Write the press release');
    let sent: Record<string, unknown> | undefined;
    const odd = createNextcloud({
      baseUrl: sim.url,
      appId: 'mcp_gateway',
      appVersion: '0.1.0',
      appSecret: fixture.secret,
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        if ((init?.method ?? 'GET') === 'PUT') {
          sent = JSON.parse(String(init?.body)) as Record<string, unknown>;
          return response;
        }
        const card = (await response.json()) as Record<string, unknown>;
        return Response.json({ ...card, duedate: '24.12.2030 18:00' }, { status: response.status });
      },
    });
    // Deck (here the simulator, as PHP's DateTime would) may refuse it again: then that is Nextcloud's answer.
    const outcome = await odd
      .as('alice')
      .deck.updateCard(ref, { title: 'Write the press release' })
      .then(
        () => 'stored',
        (error: unknown) => (isNextcloudError(error) ? error.code : 'not a Nextcloud error'),
      );
    expect(outcome).not.toBe('not a Nextcloud error');
    expect(sent).toMatchObject({ title: 'Write the press release', duedate: '24.12.2030 18:00' });
  });
});
