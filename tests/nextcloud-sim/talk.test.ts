// The simulator's Talk and unified-search OCS APIs, over real HTTP with Basic auth as each user.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from './index.js';
import { startSimulator } from './index.js';
import { participantOf } from './talk.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ dav: false });
});
afterAll(() => sim?.stop());

const auth = (user: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${user}`).toString('base64')}`, 'ocs-apirequest': 'true', accept: 'application/json' });
const ocs = async (user: string, path: string, init: RequestInit = {}) => {
  const response = await fetch(`${sim.url}/ocs/v2.php${path}`, { ...init, headers: { ...auth(user), ...(init.headers as Record<string, string>) } });
  return { response, body: response.status === 304 ? null : ((await response.json()) as { ocs: { meta: { statuscode: number; message: string }; data: any } }) };
};
const room = (token: string) => sim.state.talk.rooms.find((candidate) => candidate.token === token)!;

describe('Talk conversations', () => {
  it('lists only the rooms the user is in, with Nextcloud room fields', async () => {
    const { response, body } = await ocs('carol', '/apps/spreed/api/v4/room');
    expect(response.status).toBe(200);
    expect(response.headers.get('x-nextcloud-talk-hash')).toBeTruthy();
    const tokens = body!.ocs.data.map((entry: { token: string }) => entry.token).sort();
    expect(tokens).toEqual(['announce7', 'apollo42x']);
    const announcements = body!.ocs.data.find((entry: { token: string }) => entry.token === 'announce7');
    expect(announcements).toMatchObject({ type: 2, readOnly: 1, displayName: 'Announcements', participantType: 3 });
    expect(announcements.permissions & 8).toBe(0);
  });

  it("names one-to-one rooms after the other person and counts the user's unread messages", async () => {
    const { body } = await ocs('bob', '/apps/spreed/api/v4/room/alicebob1');
    expect(body!.ocs.data).toMatchObject({ type: 1, displayName: 'Alice Liddell', unreadMessages: 1 });
    expect(body!.ocs.data.lastMessage).toMatchObject({ actorId: 'alice', message: 'We can discuss it at the standup.' });
  });

  it('answers 404 to a non-participant and 401 to nobody', async () => {
    expect((await ocs('carol', '/apps/spreed/api/v4/room/lounge99')).response.status).toBe(404);
    expect((await fetch(`${sim.url}/ocs/v2.php/apps/spreed/api/v4/room`, { headers: { 'ocs-apirequest': 'true', accept: 'application/json' } })).status).toBe(401);
    // OCS v1 reports failures inside an HTTP 200 (except 997).
    const v1 = await fetch(`${sim.url}/ocs/v1.php/apps/spreed/api/v4/room/lounge99`, { headers: auth('carol') });
    expect(v1.status).toBe(200);
    expect(((await v1.json()) as { ocs: { meta: { statuscode: number } } }).ocs.meta.statuscode).toBe(404);
  });
});

describe('Talk chat', () => {
  it('pages history newest first with X-Chat-Last-Given, and 304 at the end', async () => {
    const first = await ocs('alice', '/apps/spreed/api/v1/chat/alicebob1?lookIntoFuture=0&limit=2&setReadMarker=0');
    const messages = first.body!.ocs.data as { id: number; parent?: { id: number } }[];
    expect(messages.map((message) => message.id)).toEqual([...messages.map((message) => message.id)].sort((a, b) => b - a));
    expect(messages[0]!.parent).toBeDefined();
    const lastGiven = first.response.headers.get('x-chat-last-given');
    expect(Number(lastGiven)).toBe(messages.at(-1)!.id);
    const second = await ocs('alice', `/apps/spreed/api/v1/chat/alicebob1?lookIntoFuture=0&limit=2&lastKnownMessageId=${lastGiven}`);
    expect((second.body!.ocs.data as { systemMessage: string }[]).at(-1)!.systemMessage).toBe('conversation_created');
    const end = await ocs('alice', `/apps/spreed/api/v1/chat/alicebob1?lookIntoFuture=0&lastKnownMessageId=${second.response.headers.get('x-chat-last-given')}`);
    expect(end.response.status).toBe(304);
  });

  it('serialises empty messageParameters as [] and mentions as a map', async () => {
    const { body } = await ocs('carol', '/apps/spreed/api/v1/chat/apollo42x?lookIntoFuture=0&setReadMarker=0');
    const [mention, plain] = body!.ocs.data as { messageParameters: unknown }[];
    expect(mention!.messageParameters).toMatchObject({ 'mention-user1': { type: 'user', id: 'carol' } });
    expect(plain!.messageParameters).toEqual([]);
  });

  it('leaves the read marker and notifications alone when asked to, and moves them by default when polling', async () => {
    const bob = participantOf(room('alicebob1'), 'bob')!;
    const marker = bob.lastReadMessage;
    const pending = bob.pendingNotifications.length;
    expect(pending).toBeGreaterThan(0);
    await ocs('bob', `/apps/spreed/api/v1/chat/alicebob1?lookIntoFuture=1&timeout=0&lastKnownMessageId=0&setReadMarker=0&markNotificationsAsRead=0`);
    expect(bob.lastReadMessage).toBe(marker);
    expect(bob.pendingNotifications.length).toBe(pending);
    await ocs('bob', `/apps/spreed/api/v1/chat/alicebob1?lookIntoFuture=1&timeout=0&lastKnownMessageId=${marker}`);
    expect(bob.lastReadMessage).toBeGreaterThan(marker);
    expect(bob.pendingNotifications.length).toBe(0);
  });

  it('wakes a long poll when a message arrives', async () => {
    const newest = room('lounge99').messages.at(-1)!.id;
    const poll = ocs('bob', `/apps/spreed/api/v1/chat/lounge99?lookIntoFuture=1&timeout=10&lastKnownMessageId=${newest}&setReadMarker=0`);
    await new Promise((resolve) => setTimeout(resolve, 150));
    const started = Date.now();
    const sent = await ocs('alice', '/apps/spreed/api/v1/chat/lounge99', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: 'Lunch?', referenceId: 'a'.repeat(64) }) });
    expect(sent.response.status).toBe(201);
    expect(sent.body!.ocs.data).toMatchObject({ message: 'Lunch?', actorId: 'alice', referenceId: 'a'.repeat(64) });
    const woke = await poll;
    expect(Date.now() - started).toBeLessThan(3000);
    expect((woke.body!.ocs.data as { message: string }[]).map((message) => message.message)).toEqual(['Lunch?']);
  });

  it('refuses blank, over-long and read-only posts with the Talk status codes', async () => {
    const post = (user: string, token: string, message: string) =>
      ocs(user, `/apps/spreed/api/v1/chat/${token}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message }) });
    const blank = await post('alice', 'lounge99', '   ');
    expect(blank.response.status).toBe(400);
    expect(blank.body!.ocs.data).toEqual({ error: 'message' });
    expect((await post('alice', 'lounge99', 'x'.repeat(32001))).response.status).toBe(413);
    expect((await post('bob', 'announce7', 'hello')).response.status).toBe(403);
    expect((await post('carol', 'lounge99', 'hello')).response.status).toBe(404);
    // Read-only blocks chat for moderators too.
    expect((await post('alice', 'announce7', 'hello')).response.status).toBe(403);
  });

  it('requires lookIntoFuture', async () => {
    expect((await ocs('alice', '/apps/spreed/api/v1/chat/lounge99')).response.status).toBe(400);
  });
});

describe('unified search', () => {
  it('lists the providers with their filters', async () => {
    const { body } = await ocs('alice', '/search/providers');
    expect(body!.ocs.data.map((provider: { id: string }) => provider.id)).toEqual(['files', 'calendar', 'talk-conversations', 'talk-message']);
  });

  it('finds Talk messages in the user\'s rooms, renders mentions, pages with a cursor, filters by conversation', async () => {
    const all = await ocs('alice', '/search/providers/talk-message/search?term=the&limit=2');
    const data = all.body!.ocs.data;
    expect(data).toMatchObject({ name: 'Messages', isPaginated: true, cursor: 2 });
    expect(data.entries).toHaveLength(2);
    for (const entry of data.entries) expect(typeof entry.attributes.messageId).toBe('string');
    const next = await ocs('alice', '/search/providers/talk-message/search?term=the&limit=2&cursor=2');
    expect(next.body!.ocs.data.entries[0].attributes.messageId).not.toBe(data.entries[0].attributes.messageId);
    const mention = await ocs('carol', '/search/providers/talk-message/search?term=readme&conversation=apollo42x');
    expect(mention.body!.ocs.data.entries[0]).toMatchObject({ title: 'Alice Liddell', subline: 'Hi @Carol Danvers, it is in the Readme.' });
    expect(mention.body!.ocs.data.entries[0].resourceUrl).toMatch(/\/index\.php\/call\/apollo42x#message_\d+$/);
  });

  it('never returns messages from rooms the user is not in', async () => {
    const { body } = await ocs('carol', '/search/providers/talk-message/search?term=coffee');
    expect(body!.ocs.data.entries).toEqual([]);
  });

  it('finds conversations by name without paging', async () => {
    const { body } = await ocs('bob', '/search/providers/talk-conversations/search?term=alice');
    expect(body!.ocs.data).toMatchObject({ isPaginated: false, cursor: null, entries: [{ title: 'Alice Liddell', attributes: { conversation: 'alicebob1' } }] });
  });

  it('answers an unknown provider with a server error', async () => {
    expect((await ocs('alice', '/search/providers/nope/search?term=x')).response.status).toBe(500);
  });
});
