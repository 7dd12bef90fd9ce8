// The simulator's unified search OCS API on a bare Fastify app: the provider list and the two Talk providers
// (files and calendar need the PHP backend and are covered by unified-search-dav.test.ts).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startOcsTestApp, TEST_BASE_URL } from './ocs-test-app.js';
import type { OcsTestApp } from './ocs-test-app.js';
import { attributes } from './search/result.js';
import { createTalkTestHooks, findRoom, SEED_TOKENS } from './talk.js';
import { registerSearchRoutes } from './unified-search.js';

const V2 = '/ocs/v2.php/search';
const V1 = '/ocs/v1.php/search';
const { aliceBob, apollo, lounge } = SEED_TOKENS;

let sim: OcsTestApp;
beforeEach(async () => {
  sim = await startOcsTestApp(registerSearchRoutes);
});
afterEach(() => sim.close());

const search = (user: string, provider: string, query: string) => sim.call(user, 'GET', `${V2}/providers/${provider}/search?${query}`);
type Entry = {
  title: string;
  subline: string;
  resourceUrl: string;
  thumbnailUrl: string;
  icon: string;
  rounded: boolean;
  attributes: Record<string, string>;
};

describe('providers', () => {
  it('lists the providers sorted by order with NC 28+ fields and an ETag', async () => {
    const { status, headers, body } = await sim.call('alice', 'GET', `${V2}/providers`);
    expect(status).toBe(200);
    expect(headers.etag).toMatch(/^"[0-9a-f]{32}"$/);
    const providers = body!.ocs.data as Record<string, any>[];
    expect(providers.map((provider) => provider.id)).toEqual(['files', 'talk-message', 'talk-conversations', 'calendar']);
    expect(providers.find((provider) => provider.id === 'talk-message')).toEqual({
      id: 'talk-message',
      appId: 'spreed',
      name: 'Messages',
      icon: '/apps/spreed/img/app.svg',
      order: 15,
      triggers: ['talk-message'],
      filters: { term: 'string', since: 'datetime', until: 'datetime', person: 'person', conversation: 'string' },
      inAppSearch: false,
    });
    expect(providers.find((provider) => provider.id === 'files')!.filters).toMatchObject({
      'min-size': 'int',
      'is-favorite': 'bool',
      mime: 'string',
    });
    expect(providers.find((provider) => provider.id === 'talk-conversations')!.filters).toEqual({ term: 'string' });
  });

  it('puts the providers of the app the user is in first', async () => {
    const inTalk = await sim.call('alice', 'GET', `${V2}/providers?from=${encodeURIComponent(`/call/${apollo}`)}`);
    expect(inTalk.body!.ocs.data.map((provider: { id: string }) => provider.id)).toEqual([
      'talk-message',
      'talk-conversations',
      'files',
      'calendar',
    ]);
    const inFiles = await sim.call('alice', 'GET', `${V1}/providers?from=${encodeURIComponent('/index.php/apps/files/')}`);
    expect(inFiles.body!.ocs.meta.statuscode).toBe(100);
    expect(inFiles.body!.ocs.data[0]).toMatchObject({ id: 'files', order: -5 });
  });

  it('needs a logged-in user', async () => {
    expect((await sim.call(null, 'GET', `${V2}/providers`)).status).toBe(401);
    expect((await sim.call(null, 'GET', `${V2}/providers/talk-message/search?term=x`)).status).toBe(401);
  });
});

describe('talk-message', () => {
  it("finds comments in the user's conversations, newest first, as Talk renders them", async () => {
    const { body } = await search('alice', 'talk-message', 'term=budget');
    const entries = body!.ocs.data.entries as Entry[];
    expect(body!.ocs.data).toMatchObject({ name: 'Messages', isPaginated: true, cursor: 5 });
    expect(entries.map((entry) => entry.title)).toEqual(['Alice Liddell in Staff lounge', 'Alice Liddell in Project Apollo']);
    const [newest] = entries;
    const message = findRoom(sim.state, lounge)!.messages.at(-1)!;
    expect(newest).toEqual({
      thumbnailUrl: `${TEST_BASE_URL}/index.php/avatar/alice/512`,
      title: 'Alice Liddell in Staff lounge',
      subline: 'Finally! Budget for a new one is in Budget.csv anyway.',
      resourceUrl: `${TEST_BASE_URL}/index.php/call/${lounge}#message_${message.id}`,
      icon: 'icon-talk',
      rounded: true,
      attributes: {
        conversation: lounge,
        messageId: String(message.id),
        actorType: 'users',
        actorId: 'alice',
        timestamp: String(message.timestamp),
      },
    });
    // Mentions are substituted in the subline ("@bob" → "@Bob Builder"), which pushes the match past the cut-off.
    expect(entries[1]!.subline).toBe('…check the budget numbers before the review?');
  });

  it('pages with an offset cursor (offset + limit)', async () => {
    const first = (await search('alice', 'talk-message', 'term=the&limit=2')).body!.ocs.data;
    expect(first).toMatchObject({ isPaginated: true, cursor: 2 });
    expect(first.entries).toHaveLength(2);
    for (const entry of first.entries as Entry[]) for (const value of Object.values(entry.attributes)) expect(typeof value).toBe('string');
    const second = (await search('alice', 'talk-message', `term=the&limit=2&cursor=${first.cursor}`)).body!.ocs.data;
    expect(second.cursor).toBe(4);
    const seen = [...first.entries, ...second.entries].map((entry: Entry) => entry.attributes.messageId);
    expect(new Set(seen).size).toBe(4);
    const beyond = (await search('alice', 'talk-message', 'term=the&limit=2&cursor=100')).body!.ocs.data;
    expect(beyond).toMatchObject({ entries: [], isPaginated: true, cursor: 102 });
  });

  it('searches one conversation with the conversation filter, titled by author only', async () => {
    const { body } = await search('carol', 'talk-message', `term=readme&conversation=${apollo}`);
    expect(body!.ocs.data.entries).toHaveLength(1);
    expect(body!.ocs.data.entries[0]).toMatchObject({
      title: 'Alice Liddell',
      subline: 'Hi @Carol Danvers, it is in the Readme.',
      attributes: { conversation: apollo },
    });
    const notAttendee = (await search('carol', 'talk-message', `term=coffee&conversation=${lounge}`)).body!.ocs.data;
    expect(notAttendee).toEqual({ name: 'Messages', isPaginated: false, entries: [], cursor: null });
  });

  it('never returns messages from conversations the user does not attend, and titles one-to-one hits by author', async () => {
    expect((await search('carol', 'talk-message', 'term=coffee')).body!.ocs.data.entries).toEqual([]);
    const direct = (await search('bob', 'talk-message', 'term=standup')).body!.ocs.data.entries as Entry[];
    expect(direct.map((entry) => [entry.title, entry.attributes.conversation])).toEqual([['Alice Liddell', aliceBob]]);
  });

  it('filters by person and time', async () => {
    const byCarol = (await search('alice', 'talk-message', 'term=&person=nc-user_carol&limit=25')).body!.ocs.data.entries as Entry[];
    expect(byCarol.map((entry) => entry.attributes.actorId)).toEqual(['carol']);
    const recent = (await search('alice', 'talk-message', `term=&since=${Math.floor(Date.now() / 1000) - 90 * 60}&limit=25`)).body!.ocs.data
      .entries as Entry[];
    expect(recent.every((entry) => Number(entry.attributes.timestamp) >= Math.floor(Date.now() / 1000) - 90 * 60 - 5)).toBe(true);
    expect(recent.map((entry) => entry.attributes.conversation)).toEqual([lounge, lounge]);
    const unknown = await search('alice', 'talk-message', 'term=x&person=nc-user_nobody');
    expect(unknown.status).toBe(400);
    expect(unknown.body!.ocs.data).toBe('User nobody not found');
  });

  it('clamps the limit to 1..25 and defaults it to 5', async () => {
    const hooks = createTalkTestHooks(sim.state);
    for (let index = 0; index < 30; index++) hooks.postAs('bob', lounge, `Note ${index}`);
    expect((await search('alice', 'talk-message', 'term=note')).body!.ocs.data.entries).toHaveLength(5);
    const capped = (await search('alice', 'talk-message', 'term=note&limit=100')).body!.ocs.data;
    expect(capped.entries).toHaveLength(25);
    expect(capped.cursor).toBe(25);
    expect((await search('alice', 'talk-message', 'term=note&limit=0')).body!.ocs.data.entries).toHaveLength(1);
  });

  it('starts the subline shortly before a match that is far into a long message', async () => {
    createTalkTestHooks(sim.state).postAs('bob', lounge, 'This is a fairly long message that only at the very end mentions the zeppelin.');
    const [entry] = (await search('alice', 'talk-message', 'term=zeppelin')).body!.ocs.data.entries as Entry[];
    expect(entry!.subline).toBe('…tions the zeppelin.');
  });
});

describe('talk-conversations', () => {
  it('finds conversations by name or one-to-one partner, without paging', async () => {
    const partner = (await search('bob', 'talk-conversations', 'term=alice')).body!.ocs.data;
    expect(partner).toMatchObject({ name: 'Conversations', isPaginated: false, cursor: null });
    expect(partner.entries).toEqual([
      {
        thumbnailUrl: `${TEST_BASE_URL}/ocs/v2.php/apps/spreed/api/v1/room/${aliceBob}/avatar?v=v1`,
        title: 'Alice Liddell',
        subline: '',
        resourceUrl: `${TEST_BASE_URL}/index.php/call/${aliceBob}`,
        icon: '',
        rounded: true,
        attributes: { conversation: aliceBob },
      },
    ]);
    const byName = (await search('carol', 'talk-conversations', 'term=apollo')).body!.ocs.data.entries as Entry[];
    expect(byName.map((entry) => entry.title)).toEqual(['Project Apollo']);
    expect((await search('carol', 'talk-conversations', 'term=lounge')).body!.ocs.data.entries).toEqual([]);
  });

  it('refuses exclusive filters it does not support (400) and ignores unknown ones', async () => {
    const since = await search('bob', 'talk-conversations', 'term=a&since=0');
    expect(since.status).toBe(400);
    expect(since.body!.ocs.data).toBe('Provider talk-conversations doesn’t support filter since.');
    expect((await search('bob', 'talk-conversations', 'term=apollo&conversation=x&whatever=1')).status).toBe(200);
  });
});

describe('errors', () => {
  it('answers an unknown provider with a server error (v2 500, v1 OCS 996)', async () => {
    const v2 = await search('alice', 'nope', 'term=x');
    expect(v2.status).toBe(500);
    expect(v2.body!.ocs.meta).toMatchObject({ status: 'failure', statuscode: 500 });
    const v1 = await sim.call('alice', 'GET', `${V1}/providers/nope/search?term=x`);
    expect(v1.status).toBe(200);
    expect(v1.body!.ocs.meta.statuscode).toBe(996);
  });

  it('needs at least one filter', async () => {
    const none = await search('alice', 'talk-message', 'limit=5');
    expect(none.status).toBe(400);
    expect(none.body!.ocs.data).toBe('No valid filters provided');
  });

  it('serialises empty attributes as [] like PHP', () => {
    expect(attributes({})).toEqual([]);
    expect(attributes({ fileId: 12 })).toEqual({ fileId: '12' });
  });
});
