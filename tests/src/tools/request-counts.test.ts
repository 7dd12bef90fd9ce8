// How many requests the Talk and calendar tools send to Nextcloud for one call, counted at the client's fetch:
// talk_read_messages asks for the room and the first page together and knows where a history begins;
// calendar_list_events addresses the calendar home directly and reuses the user's calendar list for its TTL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Nextcloud } from '../../../lib/index.js';
import { createNextcloud } from '../../../lib/index.js';
import { calendarTools } from '../../../src/tools/calendar/index.js';
import { search } from '../../../src/tools/chatgpt/index.js';
import { readMessages } from '../../../src/tools/talk/index.js';
import type { Tool } from '../../../src/tools/tool.js';
import type { Simulator } from '../../nextcloud-sim/index.js';
import { postComment } from '../../nextcloud-sim/talk.js';
import { newParticipant, postSystemMessage } from '../../nextcloud-sim/talk/store.js';
import type { TalkRoom } from '../../nextcloud-sim/context.js';
import { startLibFixture } from '../../support/lib-fixture.js';
import { toolHarness } from '../../support/tool-harness.js';

let sim: Simulator;
let secret: string;

/** Every request as "METHOD /path" (with the chat page size for Talk history); `refuse` answers some with an error page. */
const requests: string[] = [];
let refuse: ((method: string, path: string) => boolean) | undefined;
const counting = (async (input: string | URL | Request, init?: RequestInit) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  const method = (init?.method ?? 'GET').toUpperCase();
  const limit = url.pathname.includes('/api/v1/chat/') ? url.searchParams.get('limit') : null;
  requests.push(`${method} ${url.pathname}${limit ? ` limit=${limit}` : ''}`);
  if (refuse?.(method, url.pathname))
    return new Response('<html>Service Unavailable</html>', { status: 503, headers: { 'content-type': 'text/html' } });
  return fetch(input, init);
}) as typeof fetch;

const client = (calendarListTtlMs = 0): Nextcloud =>
  createNextcloud({
    baseUrl: sim.url,
    appId: 'mcp_gateway',
    appVersion: '0.1.0',
    appSecret: secret,
    timeoutMs: 10_000,
    fetch: counting,
    calendarListTtlMs,
  });

/** Runs one tool call on `nextcloud` and gives its result with the requests it made. */
async function counted(nextcloud: Nextcloud, tool: Tool, args: unknown, user = 'alice') {
  requests.length = 0;
  const call = await toolHarness(nextcloud, sim.url).call(tool, args, { user });
  return { call, requests: [...requests] };
}

const calendarTool = (name: string) => calendarTools.find((tool) => tool.name === name)!;
const listEvents = calendarTool('calendar_list_events');
const createEvent = calendarTool('calendar_create_event');

beforeAll(async () => {
  ({ sim, secret } = await startLibFixture({ dav: true }));
});
afterAll(() => sim?.stop());

function addRoom(token: string): TalkRoom {
  const room: TalkRoom = {
    id: sim.state.talk.rooms.length + 1,
    token,
    type: 2,
    name: `Room ${token}`,
    description: '',
    readOnly: 0,
    lobbyState: 0,
    defaultPermissions: 0,
    participants: [newParticipant('alice', 1), newParticipant('bob', 3)],
    messages: [],
  };
  sim.state.talk.rooms.push(room);
  postSystemMessage(sim.state, room, 'alice', 'conversation_created', '{actor} created the conversation', {
    actor: { type: 'user', id: 'alice', name: 'Alice Liddell' },
  });
  return room;
}

type Message = { id: number; text: string };
const texts = (structured: Record<string, unknown> | undefined) => (structured!.messages as Message[]).map((message) => message.text);

describe('talk_read_messages', () => {
  it('reads a short history with the room and one chat page, asked for together', async () => {
    const { call, requests: sent } = await counted(client(), readMessages, { token: 'apollo42x' });
    expect(call.isError).toBe(false);
    expect(texts(call.structured)).toHaveLength(4);
    expect(call.structured).not.toHaveProperty('nextBefore');
    expect(sent.sort()).toEqual([
      'GET /ocs/v2.php/apps/spreed/api/v1/chat/apollo42x limit=60',
      'GET /ocs/v2.php/apps/spreed/api/v4/room/apollo42x',
    ]);
  });

  it('fills a page between system messages with one chat request, and pages on below the last message returned', async () => {
    const room = addRoom('busy2024');
    for (let index = 1; index <= 8; index++) {
      postComment(sim.state, room, 'alice', `message ${index}`);
      postSystemMessage(sim.state, room, 'alice', 'call_started', '{actor} started a call', {
        actor: { type: 'user', id: 'alice', name: 'Alice Liddell' },
      });
    }
    const first = await counted(client(), readMessages, { token: 'busy2024', limit: 5 });
    expect(texts(first.call.structured)).toEqual(['message 4', 'message 5', 'message 6', 'message 7', 'message 8']);
    expect(first.requests.filter((request) => request.includes('/chat/'))).toEqual([
      'GET /ocs/v2.php/apps/spreed/api/v1/chat/busy2024 limit=10',
    ]);
    const before = first.call.structured!.nextBefore as number;
    expect(before).toBe((first.call.structured!.messages as Message[])[0]!.id);
    const rest = await counted(client(), readMessages, { token: 'busy2024', limit: 5, before });
    expect(texts(rest.call.structured)).toEqual(['message 1', 'message 2', 'message 3']);
    expect(rest.call.structured).not.toHaveProperty('nextBefore');
    expect(rest.requests).toHaveLength(2);
  });

  it('goes on past a page Talk sent short because of messages it does not show, and loses none', async () => {
    // Reactions are messages Talk leaves out of its answer, yet they fill its pages (contract 3.3): a short page
    // is not the end of the history.
    const room = addRoom('quiet2024');
    postComment(sim.state, room, 'alice', 'first');
    postComment(sim.state, room, 'bob', 'second');
    for (let index = 0; index < 6; index++)
      postSystemMessage(sim.state, room, 'bob', 'reaction', '{actor} reacted', { actor: { type: 'user', id: 'bob', name: 'Bob Builder' } });
    postComment(sim.state, room, 'alice', 'third');
    const seen: string[] = [];
    let before: number | undefined;
    let calls = 0;
    do {
      const page = await counted(client(), readMessages, { token: 'quiet2024', limit: 2, ...(before ? { before } : {}) });
      expect(page.call.isError).toBe(false);
      seen.unshift(...texts(page.call.structured));
      before = page.call.structured!.nextBefore as number | undefined;
      calls++;
    } while (before !== undefined && calls < 10);
    expect(seen).toEqual(['first', 'second', 'third']);
  });

  it('reports the room lookup refusing a conversation the user is not in, as before', async () => {
    const expected = await client()
      .as('carol')
      .talk.conversation('lounge99')
      .then(
        () => 'no error',
        (error: Error) => error.message,
      );
    const { call, requests: sent } = await counted(client(), readMessages, { token: 'lounge99' }, 'carol');
    expect(call.isError).toBe(true);
    expect(call.text).toContain(expected);
    expect(call.text).toContain('carol is not a participant');
    expect(sent).toContain('GET /ocs/v2.php/apps/spreed/api/v4/room/lounge99');
  });
});

describe('calendar_list_events', () => {
  const ownHome = (request: string) => /^(PROPFIND|REPORT) \/remote\.php\/dav\/calendars\/alice\//.test(request);

  it('lists the calendar home directly: no discovery of the principal or the home', async () => {
    const { call, requests: sent } = await counted(client(), listEvents, {});
    expect(call.isError).toBe(false);
    expect(sent.sort()).toEqual([
      'PROPFIND /remote.php/dav/calendars/alice/',
      'REPORT /remote.php/dav/calendars/alice/personal/',
      'REPORT /remote.php/dav/calendars/alice/team/',
    ]);
    expect(sent.every(ownHome)).toBe(true);
  });

  it('reuses the calendar list within its TTL, and never gives one user the list of another', async () => {
    const nextcloud = client(60_000);
    await counted(nextcloud, listEvents, {});
    const again = await counted(nextcloud, listEvents, {});
    expect(again.requests.sort()).toEqual([
      'REPORT /remote.php/dav/calendars/alice/personal/',
      'REPORT /remote.php/dav/calendars/alice/team/',
    ]);
    const bob = await counted(nextcloud, listEvents, {}, 'bob');
    expect(bob.call.structured!.calendars).toEqual(expect.arrayContaining(['personal', 'team_shared_by_alice']));
    expect(bob.requests).toContain('PROPFIND /remote.php/dav/calendars/bob/');
    expect(bob.requests.every((request) => request.includes('/calendars/bob/'))).toBe(true);
  });

  it('fails when no calendar can be read, instead of listing an empty week from the remembered list', async () => {
    const nextcloud = client(60_000);
    expect((await counted(nextcloud, listEvents, {})).call.isError).toBe(false);
    refuse = (method) => method === 'REPORT';
    try {
      const { call } = await counted(nextcloud, listEvents, {});
      expect(call.isError).toBe(true);
      expect(call.text).toMatch(/Nextcloud/);
    } finally {
      refuse = undefined;
    }
  });

  it('creates an event without discovery either', async () => {
    const { call, requests: sent } = await counted(client(), createEvent, {
      summary: 'Counted',
      start: '2031-02-03T10:00:00Z',
      end: '2031-02-03T11:00:00Z',
    });
    expect(call.isError).toBe(false);
    expect(sent[0]).toBe('PROPFIND /remote.php/dav/calendars/alice/');
    expect(
      sent.filter((request) => !request.startsWith('PROPFIND') && !request.includes('/remote.php/dav/calendars/alice/personal/')),
    ).toEqual([]);
    expect(sent.filter((request) => request.startsWith('PROPFIND'))).toHaveLength(1);
  });
});

describe('search', () => {
  it('reads the calendars once for a phrase tried word by word', async () => {
    const { call, requests: sent } = await counted(client(), search, { query: 'zzqx standup retrospective' });
    expect(call.isError).toBe(false);
    const calendarRequests = sent.filter((request) => request.includes('/remote.php/dav/calendars/')).sort();
    // Task lists are calendars too: the home is listed once for events and once for tasks, each list read once.
    expect(calendarRequests).toEqual([
      'PROPFIND /remote.php/dav/calendars/alice/',
      'PROPFIND /remote.php/dav/calendars/alice/',
      'REPORT /remote.php/dav/calendars/alice/chores/',
      'REPORT /remote.php/dav/calendars/alice/personal/',
      'REPORT /remote.php/dav/calendars/alice/tasks/',
      'REPORT /remote.php/dav/calendars/alice/team/',
    ]);
  });
});
