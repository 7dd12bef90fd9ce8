// The simulator's Talk OCS API on a bare Fastify app: room objects, chat paging and long polling, read markers and
// notifications, posting rules, and the v1/v2 envelopes.
import http from 'node:http';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startOcsTestApp } from './ocs-test-app.js';
import type { OcsTestApp } from './ocs-test-app.js';
import { createTalkTestHooks, findRoom, participantOf, registerTalkRoutes, SEED_TOKENS } from './talk.js';
import type { TalkTestHooks } from './talk.js';

const V2 = '/ocs/v2.php/apps/spreed';
const V1 = '/ocs/v1.php/apps/spreed';
const { aliceBob, apollo, announcements, lounge } = SEED_TOKENS;

let sim: OcsTestApp;
let hooks: TalkTestHooks;
beforeEach(async () => {
  sim = await startOcsTestApp(registerTalkRoutes);
  hooks = createTalkTestHooks(sim.state);
});
afterEach(() => sim.close());

const chat = (user: string, token: string, query: string) => sim.call(user, 'GET', `${V2}/api/v1/chat/${token}?${query}`);
const post = (user: string, token: string, json: unknown) => sim.call(user, 'POST', `${V2}/api/v1/chat/${token}`, { json });
const ids = (data: { id: number }[]) => data.map((message) => message.id);

describe('conversations', () => {
  it('lists only the rooms the user attends, with the Talk hash header and room fields', async () => {
    const { status, headers, body } = await sim.call('carol', 'GET', `${V2}/api/v4/room`);
    expect(status).toBe(200);
    expect(headers['x-nextcloud-talk-hash']).toMatch(/^[0-9a-f]{40}$/);
    expect(Number(headers['x-nextcloud-talk-modified-before'])).toBeGreaterThan(0);
    const rooms = body!.ocs.data as Record<string, any>[];
    expect(rooms.map((room) => room.token).sort()).toEqual([announcements, apollo]);
    const readOnly = rooms.find((room) => room.token === announcements)!;
    expect(readOnly).toMatchObject({
      type: 2,
      name: 'Announcements',
      displayName: 'Announcements',
      participantType: 3,
      actorType: 'users',
      actorId: 'carol',
      readOnly: 1,
      lobbyState: 0,
      attendeePermissions: 0,
      defaultPermissions: 0,
      callPermissions: 0,
      sessionId: '0',
      hasPassword: false,
      canDeleteConversation: false,
      unreadMessages: 1,
      notificationLevel: 2,
      objectType: '',
    });
    // Read-only rooms are still listed; the chat bit comes from the permission chain, readOnly is separate.
    expect(readOnly.permissions & 128).toBe(128);
    expect(readOnly.permissions & 8).toBe(0);
    expect(readOnly.lastMessage).toMatchObject({ actorId: 'alice', message: 'The office is closed on Friday for the team offsite.' });
    expect(readOnly.lastMessage.parent).toBeUndefined();
  });

  it('names one-to-one rooms after the other person', async () => {
    const asBob = await sim.call('bob', 'GET', `${V2}/api/v4/room/${aliceBob}`);
    const asAlice = await sim.call('alice', 'GET', `${V2}/api/v4/room/${aliceBob}`);
    expect(asBob.body!.ocs.data).toMatchObject({
      type: 1,
      name: '["alice","bob"]',
      displayName: 'Alice Liddell',
      notificationLevel: 1,
      canDeleteConversation: false,
    });
    expect(asAlice.body!.ocs.data.displayName).toBe('Bob Builder');
    expect(asBob.headers['x-nextcloud-talk-hash']).toBeTruthy();
  });

  it("counts unread messages after the user's read marker (never their own) and unread mentions", async () => {
    const direct = (await sim.call('bob', 'GET', `${V2}/api/v4/room/${aliceBob}`)).body!.ocs.data;
    // Alice's unread message replies to bob, which Talk counts as a direct mention.
    expect(direct).toMatchObject({
      unreadMessages: 1,
      unreadMention: true,
      unreadMentionDirect: true,
      lastMessage: { message: 'We can discuss it at the standup.' },
    });
    const group = (await sim.call('bob', 'GET', `${V2}/api/v4/room/${apollo}`)).body!.ocs.data;
    expect(group).toMatchObject({ unreadMessages: 4, unreadMention: true, unreadMentionDirect: true, lastReadMessage: 0 });
    const caughtUp = (await sim.call('carol', 'GET', `${V2}/api/v4/room/${apollo}`)).body!.ocs.data;
    expect(caughtUp).toMatchObject({ unreadMessages: 0, unreadMention: false });
    expect(caughtUp.lastCommonReadMessage).toBe(0);
    await post('bob', apollo, { message: 'On it.' });
    const after = (await sim.call('bob', 'GET', `${V2}/api/v4/room/${apollo}`)).body!.ocs.data;
    expect(after).toMatchObject({ unreadMessages: 0, unreadMention: false });
  });

  it('answers 404 to non-attendees and unknown or malformed tokens, 401 to nobody', async () => {
    expect((await sim.call('carol', 'GET', `${V2}/api/v4/room/${lounge}`)).status).toBe(404);
    expect((await sim.call('carol', 'GET', `${V2}/api/v4/room/nosuchroom`)).status).toBe(404);
    expect((await sim.call('carol', 'GET', `${V2}/api/v4/room/UPPER`)).status).toBe(404);
    const anonymous = await sim.call(null, 'GET', `${V2}/api/v4/room`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body!.ocs.meta.statuscode).toBe(997);
  });

  it('renders OCS v1 envelopes: HTTP 200 with statuscode 100 or the failure code, 401 only for 997', async () => {
    const ok = await sim.call('alice', 'GET', `${V1}/api/v4/room`);
    expect(ok.status).toBe(200);
    expect(ok.body!.ocs.meta).toMatchObject({ status: 'ok', statuscode: 100 });
    const missing = await sim.call('carol', 'GET', `${V1}/api/v4/room/${lounge}`);
    expect(missing.status).toBe(200);
    expect(missing.body!.ocs.meta).toMatchObject({ status: 'failure', statuscode: 404 });
    expect((await sim.call(null, 'GET', `${V1}/api/v4/room`)).status).toBe(401);
    const v2 = await sim.call('carol', 'GET', `${V2}/api/v4/room/${lounge}`);
    expect(v2.body!.ocs.meta).toMatchObject({ status: 'failure', statuscode: 404 });
  });
});

describe('receiving messages', () => {
  it('pages history newest → oldest with X-Chat-Last-Given and ends with an empty 304', async () => {
    const first = await chat('alice', aliceBob, 'lookIntoFuture=0&limit=2');
    const page1 = first.body!.ocs.data;
    expect(ids(page1)).toEqual([...ids(page1)].sort((a, b) => b - a));
    expect(Number(first.headers['x-chat-last-given'])).toBe(page1.at(-1).id);
    expect(first.headers['x-chat-last-common-read']).toBeDefined();
    const second = await chat('alice', aliceBob, `lookIntoFuture=0&limit=2&lastKnownMessageId=${first.headers['x-chat-last-given']}`);
    const page2 = second.body!.ocs.data;
    expect(page2[0].id).toBeLessThan(page1.at(-1).id);
    expect(page2.at(-1).systemMessage).toBe('conversation_created');
    const end = await chat('alice', aliceBob, `lookIntoFuture=0&limit=2&lastKnownMessageId=${second.headers['x-chat-last-given']}`);
    expect(end.status).toBe(304);
    expect(end.raw).toBe('');
  });

  it('returns the future oldest → newest, and includes the offset message only with includeLastKnown', async () => {
    const all = ids(findRoom(sim.state, apollo)!.messages);
    const future = await chat('carol', apollo, `lookIntoFuture=1&timeout=0&setReadMarker=0&lastKnownMessageId=${all[0]}`);
    expect(ids(future.body!.ocs.data)).toEqual(all.slice(1));
    expect(Number(future.headers['x-chat-last-given'])).toBe(all.at(-1));
    const including = await chat(
      'carol',
      apollo,
      `lookIntoFuture=1&timeout=0&setReadMarker=0&includeLastKnown=1&lastKnownMessageId=${all[1]}`,
    );
    expect(ids(including.body!.ocs.data)).toEqual(all.slice(1));
    const history = await chat('carol', apollo, `lookIntoFuture=0&includeLastKnown=1&lastKnownMessageId=${all[1]}`);
    expect(ids(history.body!.ocs.data)).toEqual([all[1], all[0]]);
  });

  it('defaults the limit to 100 and caps it at 200', async () => {
    for (let index = 0; index < 205; index++) hooks.postAs('alice', lounge, `Message ${index}`);
    expect((await chat('bob', lounge, 'lookIntoFuture=0')).body!.ocs.data).toHaveLength(100);
    expect((await chat('bob', lounge, 'lookIntoFuture=0&limit=1000')).body!.ocs.data).toHaveLength(200);
  });

  it('serialises messages like Talk: [] for no parameters, mention maps, {} reactions, parent on replies, system texts', async () => {
    const messages = (await chat('carol', apollo, 'lookIntoFuture=0')).body!.ocs.data as Record<string, any>[];
    const mention = messages.find((message) => message.message === 'Hi {mention-user1}, it is in the Readme.')!;
    expect(mention.messageParameters).toEqual({
      'mention-user1': { type: 'user', id: 'carol', name: 'Carol Danvers', 'mention-id': 'carol' },
    });
    const plain = messages.find((message) => message.actorId === 'carol')!;
    expect(plain).toMatchObject({
      messageParameters: [],
      reactions: {},
      messageType: 'comment',
      systemMessage: '',
      isReplyable: true,
      markdown: true,
      actorDisplayName: 'Carol Danvers',
      token: apollo,
    });
    expect(plain.parent).toBeUndefined();
    const created = messages.at(-1)!;
    expect(created).toMatchObject({
      messageType: 'system',
      systemMessage: 'conversation_created',
      message: '{actor} created the conversation',
      isReplyable: false,
    });
    expect(created.messageParameters.actor).toMatchObject({ type: 'user', id: 'alice' });
    const asAlice = (await chat('alice', apollo, 'lookIntoFuture=0')).body!.ocs.data.at(-1);
    expect(asAlice.message).toBe('You created the conversation');

    const [reply] = (await chat('bob', aliceBob, 'lookIntoFuture=0&limit=1&setReadMarker=0')).body!.ocs.data;
    expect(reply.parent).toMatchObject({ actorId: 'bob', message: 'Yes! The Q3 milestones look ambitious.' });
    expect(reply.parent.parent).toBeUndefined();
  });

  it('requires lookIntoFuture (400) and answers 404 to non-attendees and 412 to attendees held in the lobby', async () => {
    expect((await chat('alice', lounge, 'limit=5')).status).toBe(400);
    expect((await chat('carol', lounge, 'lookIntoFuture=0')).status).toBe(404);
    findRoom(sim.state, apollo)!.lobbyState = 1;
    expect((await chat('bob', apollo, 'lookIntoFuture=0')).status).toBe(412);
    expect((await post('bob', apollo, { message: 'hi' })).status).toBe(412);
    // Moderators bypass the lobby.
    expect((await chat('alice', apollo, 'lookIntoFuture=0')).status).toBe(200);
    const held = (await sim.call('bob', 'GET', `${V2}/api/v4/room/${apollo}`)).body!.ocs.data;
    expect(held).toMatchObject({ lobbyState: 1, lastMessage: [], unreadMessages: 0 });
  });

  it('answers 200 with an empty list instead of 304 when only the common read marker moved', async () => {
    const newest = findRoom(sim.state, lounge)!.messages.at(-1)!.id;
    const unchanged = await chat('alice', lounge, `lookIntoFuture=0&lastKnownMessageId=1&lastCommonReadId=${newest}`);
    expect(unchanged.status).toBe(304);
    const changed = await chat('alice', lounge, 'lookIntoFuture=0&lastKnownMessageId=1&lastCommonReadId=1');
    expect(changed.status).toBe(200);
    expect(changed.body!.ocs.data).toEqual([]);
    expect(changed.headers['x-chat-last-common-read']).toBe(String(newest));
  });
});

describe('read markers and notifications', () => {
  it('leaves marker and notifications alone with setReadMarker=0 and markNotificationsAsRead=0', async () => {
    const marker = hooks.lastReadMessage(aliceBob, 'bob');
    const pending = hooks.pendingNotificationCount(aliceBob, 'bob');
    expect(pending).toBeGreaterThan(0);
    const polled = await chat(
      'bob',
      aliceBob,
      `lookIntoFuture=1&timeout=0&lastKnownMessageId=${marker}&setReadMarker=0&markNotificationsAsRead=0`,
    );
    expect(polled.body!.ocs.data).toHaveLength(1);
    expect(hooks.lastReadMessage(aliceBob, 'bob')).toBe(marker);
    expect(hooks.pendingNotificationCount(aliceBob, 'bob')).toBe(pending);
  });

  it('never moves the marker when reading history, even with the defaults', async () => {
    const marker = hooks.lastReadMessage(apollo, 'bob');
    await chat('bob', apollo, 'lookIntoFuture=0&markNotificationsAsRead=0');
    expect(hooks.lastReadMessage(apollo, 'bob')).toBe(marker);
  });

  it('moves the marker to the newest returned message and clears only the returned notifications by default', async () => {
    const room = findRoom(sim.state, apollo)!;
    const firstComment = room.messages.find((message) => message.messageType === 'comment')!;
    expect(hooks.pendingNotificationCount(apollo, 'bob')).toBe(4);
    const polled = await chat('bob', apollo, `lookIntoFuture=1&timeout=0&limit=2&lastKnownMessageId=${firstComment.id - 1}`);
    const returned = ids(polled.body!.ocs.data);
    expect(returned).toHaveLength(2);
    expect(hooks.lastReadMessage(apollo, 'bob')).toBe(returned.at(-1));
    expect(hooks.pendingNotificationCount(apollo, 'bob')).toBe(2);
  });

  it('sets the marker through POST /read', async () => {
    const newest = findRoom(sim.state, apollo)!.messages.at(-1)!.id;
    const marked = await sim.call('bob', 'POST', `${V2}/api/v1/chat/${apollo}/read`, { json: { lastReadMessage: newest - 1 } });
    expect(marked.body!.ocs.data).toMatchObject({ lastReadMessage: newest - 1, unreadMessages: 1 });
    await sim.call('bob', 'POST', `${V2}/api/v1/chat/${apollo}/read`, { json: {} });
    expect(hooks.lastReadMessage(apollo, 'bob')).toBe(newest);
  });

  it('serves message context oldest → newest without touching the marker', async () => {
    const all = ids(findRoom(sim.state, apollo)!.messages);
    const marker = hooks.lastReadMessage(apollo, 'bob');
    const context = await sim.call('bob', 'GET', `${V2}/api/v1/chat/${apollo}/${all[2]}/context?limit=1`);
    expect(ids(context.body!.ocs.data)).toEqual([all[1], all[2], all[3]]);
    expect(hooks.lastReadMessage(apollo, 'bob')).toBe(marker);
  });
});

describe('long polling', () => {
  it('returns as soon as a message arrives', async () => {
    const newest = findRoom(sim.state, lounge)!.messages.at(-1)!.id;
    const poll = chat('bob', lounge, `lookIntoFuture=1&timeout=20&lastKnownMessageId=${newest}&setReadMarker=0`);
    await until(() => hooks.waitingLongPolls(lounge) === 1);
    hooks.postAs('alice', lounge, 'Lunch?');
    // The post itself woke the poll, there and then: it no longer waits, before any timer or I/O could have run.
    expect(hooks.waitingLongPolls(lounge)).toBe(0);
    const woke = await poll;
    // And it answered with the message, where its 20 s timeout would have answered 304 without one.
    expect(woke.status).toBe(200);
    expect(woke.body!.ocs.data.map((message: { message: string }) => message.message)).toEqual(['Lunch?']);
    expect(hooks.waitingLongPolls(lounge)).toBe(0);
  });

  it('is woken by a message posted through the API, not by other rooms', async () => {
    const newest = findRoom(sim.state, lounge)!.messages.at(-1)!.id;
    const poll = chat('bob', lounge, `lookIntoFuture=1&timeout=20&lastKnownMessageId=${newest}`);
    await until(() => hooks.waitingLongPolls(lounge) === 1);
    hooks.postAs('alice', apollo, 'elsewhere');
    // A post wakes the polls of its room synchronously (the test above): had this one woken the lounge's poll, it
    // would no longer be waiting now, and it would have answered without the message posted below.
    expect(hooks.waitingLongPolls(lounge)).toBe(1);
    expect((await post('alice', lounge, { message: 'Here' })).status).toBe(201);
    expect((await poll).body!.ocs.data.map((message: { message: string }) => message.message)).toEqual(['Here']);
  });

  it('answers 304 when the timeout passes without messages', async () => {
    const newest = findRoom(sim.state, lounge)!.messages.at(-1)!.id;
    // On a fake clock: the poll must still wait at 999 ms and have answered at 1 s, however fast or slow the machine.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      let answered: Awaited<ReturnType<typeof chat>> | undefined;
      const poll = chat('bob', lounge, `lookIntoFuture=1&timeout=1&lastKnownMessageId=${newest}`).then((response) => (answered = response));
      await until(() => hooks.waitingLongPolls(lounge) === 1);
      await vi.advanceTimersByTimeAsync(999);
      expect(hooks.waitingLongPolls(lounge)).toBe(1);
      expect(answered).toBeUndefined();
      await vi.advanceTimersByTimeAsync(1);
      expect(hooks.waitingLongPolls(lounge)).toBe(0);
      expect((await poll).status).toBe(304);
    } finally {
      vi.useRealTimers();
    }
  });

  it('stops waiting when the client disconnects', async () => {
    await sim.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = sim.app.server.address() as { port: number };
    const newest = findRoom(sim.state, lounge)!.messages.at(-1)!.id;
    const request = http.get({
      host: '127.0.0.1',
      port,
      path: `${V2}/api/v1/chat/${lounge}?lookIntoFuture=1&timeout=30&lastKnownMessageId=${newest}`,
      headers: { 'x-test-user': 'bob', accept: 'application/json', 'ocs-apirequest': 'true' },
    });
    request.on('error', () => {});
    await until(() => hooks.waitingLongPolls(lounge) === 1);
    request.destroy();
    await until(() => hooks.waitingLongPolls(lounge) === 0);
    // The abandoned poll did not move anything.
    expect(hooks.lastReadMessage(lounge, 'bob')).toBe(newest);
  });
});

describe('sending messages', () => {
  it('creates the message (201), moves the poster marker and notifies the others', async () => {
    const before = hooks.pendingNotificationCount(lounge, 'bob');
    const sent = await post('alice', lounge, { message: 'Lunch at @bob’s place? @"bob" @all', referenceId: 'a'.repeat(64) });
    expect(sent.status).toBe(201);
    expect(sent.headers['x-chat-last-common-read']).toBeDefined();
    const message = sent.body!.ocs.data;
    expect(message).toMatchObject({
      actorType: 'users',
      actorId: 'alice',
      actorDisplayName: 'Alice Liddell',
      referenceId: 'a'.repeat(64),
      silent: false,
      token: lounge,
    });
    expect(message.message).toBe('Lunch at {mention-user1}’s place? {mention-user1} {mention-call1}');
    expect(message.messageParameters['mention-call1']).toMatchObject({ type: 'call', id: lounge, 'mention-id': 'all' });
    expect(hooks.lastReadMessage(lounge, 'alice')).toBe(message.id);
    expect(hooks.pendingNotificationCount(lounge, 'bob')).toBe(before + 1);
    const room = (await sim.call('bob', 'GET', `${V2}/api/v4/room/${lounge}`)).body!.ocs.data;
    expect(room).toMatchObject({ unreadMessages: 1, unreadMention: true, unreadMentionDirect: true });
  });

  it('accepts form bodies, replies and silent messages', async () => {
    const parentId = findRoom(sim.state, lounge)!.messages.at(-1)!.id;
    const before = hooks.pendingNotificationCount(lounge, 'alice');
    const sent = await sim.call('bob', 'POST', `${V2}/api/v1/chat/${lounge}`, {
      form: { message: 'Agreed', replyTo: String(parentId), silent: 'true' },
    });
    expect(sent.status).toBe(201);
    expect(sent.body!.ocs.data).toMatchObject({ message: 'Agreed', silent: true, parent: { id: parentId, actorId: 'alice' } });
    expect(hooks.pendingNotificationCount(lounge, 'alice')).toBe(before);
  });

  it('refuses with the Talk status codes', async () => {
    const blank = await post('alice', lounge, { message: '   ' });
    expect(blank.status).toBe(400);
    expect(blank.body!.ocs.data).toEqual({ error: 'message' });
    expect((await post('alice', lounge, {})).status).toBe(400);
    const systemMessageId = findRoom(sim.state, lounge)!.messages[0]!.id;
    const badReply = await post('alice', lounge, { message: 'x', replyTo: systemMessageId });
    expect(badReply.status).toBe(400);
    expect(badReply.body!.ocs.data).toEqual({ error: 'reply-to' });
    expect((await post('alice', lounge, { message: 'x'.repeat(32001) })).status).toBe(413);
    expect((await post('alice', lounge, { message: '😀'.repeat(32000) })).status).toBe(201);
    expect((await post('bob', announcements, { message: 'hello' })).status).toBe(403);
    // Read-only blocks moderators too.
    expect((await post('alice', announcements, { message: 'hello' })).status).toBe(403);
    expect((await post('carol', lounge, { message: 'hello' })).status).toBe(404);
    expect((await sim.call(null, 'POST', `${V2}/api/v1/chat/${lounge}`, { json: { message: 'hello' } })).status).toBe(401);
  });

  it('refuses attendees without the chat permission, and says so in their permissions', async () => {
    // Custom attendee permissions: everything except chat.
    participantOf(findRoom(sim.state, apollo)!, 'carol')!.attendeePermissions = 1 | 2 | 4 | 16 | 32 | 64;
    expect((await post('carol', apollo, { message: 'hello' })).status).toBe(403);
    const room = (await sim.call('carol', 'GET', `${V2}/api/v4/room/${apollo}`)).body!.ocs.data;
    expect(room.permissions & 128).toBe(0);
    expect(room.attendeePermissions).toBe(1 | 2 | 4 | 16 | 32 | 64);
  });

  it('reports failures on v1 inside HTTP 200 and success as statuscode 100', async () => {
    const created = await sim.call('alice', 'POST', `${V1}/api/v1/chat/${lounge}`, { json: { message: 'via v1' } });
    expect(created.status).toBe(200);
    expect(created.body!.ocs.meta.statuscode).toBe(100);
    const forbidden = await sim.call('bob', 'POST', `${V1}/api/v1/chat/${announcements}`, { json: { message: 'nope' } });
    expect(forbidden.status).toBe(200);
    expect(forbidden.body!.ocs.meta).toMatchObject({ status: 'failure', statuscode: 403 });
  });
});

/**
 * Waits for a condition the request in progress brings about. Checks once per turn of the event loop (setImmediate,
 * which fake timers leave alone), so it also works while a test holds the clock; the deadline only keeps a broken
 * test from hanging until the test timeout, far above anything a slow machine needs.
 */
async function until(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setImmediate(resolve));
  }
}
