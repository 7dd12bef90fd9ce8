// The Talk tools as simulator users: listing, reading without moving read markers, sending (and being refused),
// searching, and staying out of conversations the user is not in.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Nextcloud, NextcloudUserClient } from '../../../lib/index.js';
import { toolAllowed } from '../../../src/tools/tool.js';
import { listConversations, readMessages, searchMessages, sendMessage, talkTools } from '../../../src/tools/talk/index.js';
import type { Simulator } from '../../nextcloud-sim/index.js';
import { participantOf, postComment } from '../../nextcloud-sim/talk.js';
import { newParticipant } from '../../nextcloud-sim/talk/store.js';
import { startLibFixture } from '../../support/lib-fixture.js';
import type { ToolHarness } from '../../support/tool-harness.js';
import { toolHarness } from '../../support/tool-harness.js';

const WEB_ROOT = 'https://cloud.example.com';

let sim: Simulator;
let nextcloud: Nextcloud;
let tools: ToolHarness;

type Conversation = {
  token: string;
  name: string;
  type: string;
  unreadMessages: number;
  unreadMention: boolean;
  lastActivity?: string;
  canPost: boolean;
  readOnly: boolean;
};
type Message = { id: number; author: string; authorId: string; time: string; text: string; replyTo?: number; system?: string };

beforeAll(async () => {
  ({ sim, nextcloud } = await startLibFixture({ dav: false }));
  tools = toolHarness(nextcloud, WEB_ROOT);
  // A conversation bob is not in, with something worth finding.
  const secret = {
    id: sim.state.talk.rooms.length + 1,
    token: 'secret55',
    type: 2 as const,
    name: 'Surprise party',
    description: '',
    readOnly: 0 as const,
    lobbyState: 0 as const,
    defaultPermissions: 0,
    participants: [newParticipant('alice', 1), newParticipant('carol', 3)],
    messages: [],
  };
  sim.state.talk.rooms.push(secret);
  postComment(sim.state, secret, 'alice', 'The cake for Bob is ordered, keep it quiet.');
});
afterAll(() => sim?.stop());

const room = (token: string) => sim.state.talk.rooms.find((candidate) => candidate.token === token)!;

describe('declarations', () => {
  it('needs talk.read to read and talk.write to send, and says that sending reaches other people', () => {
    expect(talkTools.map((tool) => tool.name)).toEqual([
      'talk_list_conversations',
      'talk_read_messages',
      'talk_send_message',
      'talk_search_messages',
    ]);
    expect(talkTools.filter((tool) => toolAllowed(tool, ['talk.read'])).map((tool) => tool.name)).not.toContain('talk_send_message');
    expect(toolAllowed(sendMessage, ['talk.write'])).toBe(true);
    expect(sendMessage.annotations).toEqual({ readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true });
    for (const tool of [listConversations, readMessages, searchMessages]) expect(tool.annotations.readOnlyHint).toBe(true);
    // Every argument is described for the model.
    for (const tool of talkTools) {
      for (const [name, field] of Object.entries(tool.input.shape))
        expect((field as { description?: string }).description, `${tool.name}.${name}`).toBeTruthy();
    }
  });
});

describe('talk_list_conversations', () => {
  it("lists alice's conversations with types as words, who may post, and ISO times", async () => {
    const call = await tools.call(listConversations, {});
    expect(call.isError).toBe(false);
    const conversations = call.structured!.conversations as Conversation[];
    expect(conversations.map((conversation) => conversation.token).sort()).toEqual([
      'alicebob1',
      'announce7',
      'apollo42x',
      'lounge99',
      'secret55',
    ]);
    expect(conversations.find((conversation) => conversation.token === 'alicebob1')).toMatchObject({
      name: 'Bob Builder',
      type: 'one-to-one',
      canPost: true,
      readOnly: false,
    });
    expect(conversations.find((conversation) => conversation.token === 'announce7')).toMatchObject({
      name: 'Announcements',
      type: 'group',
      canPost: false,
      readOnly: true,
    });
    const times = conversations.map((conversation) => Date.parse(conversation.lastActivity!));
    expect(times.every((time) => !Number.isNaN(time))).toBe(true);
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  it('lists only unread conversations when asked, with unread mentions', async () => {
    const call = await tools.call(listConversations, { onlyUnread: true }, { user: 'bob' });
    const conversations = call.structured!.conversations as Conversation[];
    expect(conversations.map((conversation) => conversation.token).sort()).toEqual(['alicebob1', 'announce7', 'apollo42x']);
    expect(conversations.every((conversation) => conversation.unreadMessages > 0)).toBe(true);
    expect(conversations.find((conversation) => conversation.token === 'apollo42x')!.unreadMention).toBe(true);
  });
});

describe('talk_read_messages', () => {
  it('pages back through history with nextBefore, oldest first within a page, without system messages', async () => {
    const first = await tools.call(readMessages, { token: 'apollo42x', limit: 2 });
    expect(first.isError).toBe(false);
    expect(first.structured!.conversation).toBe('Project Apollo');
    const newest = first.structured!.messages as Message[];
    expect(newest.map((message) => message.text)).toEqual([
      'Hi @Carol Danvers, it is in the Readme.',
      '@Bob Builder could you check the budget numbers before the review?',
    ]);
    expect(newest[0]!).toMatchObject({ author: 'Alice Liddell', authorId: 'alice' });
    expect(newest[0]!).not.toHaveProperty('replyTo');
    expect(newest[0]!.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(first.audited).toEqual(['apollo42x']);
    const before = first.structured!.nextBefore as number;
    expect(before).toBe(newest[0]!.id);

    const rest = await tools.call(readMessages, { token: 'apollo42x', limit: 10, before });
    const older = rest.structured!.messages as Message[];
    expect(older.map((message) => message.authorId)).toEqual(['alice', 'carol']);
    expect(older.every((message) => message.id < before && message.system === undefined)).toBe(true);

    const withSystem = await tools.call(readMessages, { token: 'apollo42x', limit: 10, before, includeSystemMessages: true });
    expect((withSystem.structured!.messages as Message[])[0]).toMatchObject({
      system: 'conversation_created',
      text: 'You created the conversation',
    });
  });

  it('links replies to the message they answer', async () => {
    const call = await tools.call(readMessages, { token: 'alicebob1' });
    const messages = call.structured!.messages as Message[];
    const answer = messages.find((message) => message.text === 'We can discuss it at the standup.')!;
    expect(messages.find((message) => message.id === answer.replyTo)!.text).toBe('Yes! The Q3 milestones look ambitious.');
  });

  it("does not move bob's read marker, clear his notifications or change his unread count", async () => {
    const fresh = postComment(sim.state, room('alicebob1'), 'alice', 'One more thing about the roadmap.');
    const bob = participantOf(room('alicebob1'), 'bob')!;
    const marker = bob.lastReadMessage;
    const pending = [...bob.pendingNotifications];
    expect(pending).toContain(fresh.id);
    const unread = async () =>
      ((await tools.call(listConversations, {}, { user: 'bob' })).structured!.conversations as Conversation[]).find(
        (conversation) => conversation.token === 'alicebob1',
      )!.unreadMessages;
    const unreadBefore = await unread();
    expect(unreadBefore).toBeGreaterThan(0);

    const call = await tools.call(readMessages, { token: 'alicebob1', limit: 50 }, { user: 'bob' });
    expect((call.structured!.messages as Message[]).at(-1)!.id).toBe(fresh.id);
    expect(bob.lastReadMessage).toBe(marker);
    expect(bob.pendingNotifications).toEqual(pending);
    expect(await unread()).toBe(unreadBefore);
  });

  it('refuses a conversation the user is not in', async () => {
    const call = await tools.call(readMessages, { token: 'secret55' }, { user: 'bob' });
    expect(call.isError).toBe(true);
    expect(call.text).toContain('bob is not a participant');
    expect(call.text).not.toContain('cake');
  });

  it('refuses a malformed token before asking Nextcloud', async () => {
    const call = await tools.call(readMessages, { token: '../apps' });
    expect(call.isError).toBe(true);
    expect(call.text).toMatch(/^Invalid arguments for talk_read_messages: token: /);
  });
});

describe('talk_send_message', () => {
  it('posts as the user, as a reply when asked, and audits the message it created', async () => {
    const first = await tools.call(sendMessage, { token: 'lounge99', message: 'Who took the last biscuit?' });
    expect(first.isError).toBe(false);
    const sentId = first.structured!.messageId as number;
    expect(first.structured).toMatchObject({ token: 'lounge99', conversation: 'Staff lounge', text: 'Who took the last biscuit?' });
    expect(first.structured).not.toHaveProperty('replyTo');
    expect(first.audited).toEqual([`lounge99#${sentId}`]);
    const reply = await tools.call(sendMessage, { token: 'lounge99', message: 'Not me!', replyTo: sentId }, { user: 'bob' });
    expect(reply.structured).toMatchObject({ replyTo: sentId, text: 'Not me!' });
    const stored = room('lounge99').messages.filter((message) => message.message === 'Not me!');
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ actorId: 'bob', replyTo: sentId });
  });

  it('refuses a read-only conversation clearly, without posting', async () => {
    const count = room('announce7').messages.length;
    const call = await tools.call(sendMessage, { token: 'announce7', message: 'Can we move the offsite?' }, { user: 'bob' });
    expect(call.isError).toBe(true);
    expect(call.text).toBe("Talk conversation 'Announcements' is read-only; bob cannot post there.");
    expect(call.audited).toEqual(['announce7']);
    expect(room('announce7').messages).toHaveLength(count);
  });

  it("words Talk's own 403 the same way when the conversation became read-only after the check", async () => {
    // A client whose view of the conversation is stale: it still looks writable, Talk refuses the post.
    const stale: Nextcloud = {
      system: () => nextcloud.system(),
      as(userId) {
        const real = nextcloud.as(userId);
        const talk = {
          ...real.talk,
          conversation: async (token: string) => ({ ...(await real.talk.conversation(token)), readOnly: false, canPost: true }),
        };
        return { ...real, talk } as NextcloudUserClient;
      },
    };
    const call = await toolHarness(stale, WEB_ROOT).call(sendMessage, { token: 'announce7', message: 'sneaky' }, { user: 'carol' });
    expect(call.isError).toBe(true);
    expect(call.text).toContain(
      "Talk conversation 'Announcements' is read-only or carol lacks the chat permission there; carol cannot post there.",
    );
    expect(room('announce7').messages.some((message) => message.message === 'sneaky')).toBe(false);
  });

  it('refuses a conversation the user is not in, and a reply to a message of another conversation', async () => {
    const outsider = await tools.call(sendMessage, { token: 'secret55', message: 'let me in' }, { user: 'bob' });
    expect(outsider.isError).toBe(true);
    expect(outsider.text).toContain('bob is not a participant');
    const elsewhere = room('apollo42x').messages.find((message) => message.messageType === 'comment')!;
    const crossReply = await tools.call(sendMessage, { token: 'lounge99', message: 'Re: welcome', replyTo: elsewhere.id });
    expect(crossReply.isError).toBe(true);
    expect(crossReply.text).toContain('Talk rejected the message');
    expect(room('secret55').messages.some((message) => message.message === 'let me in')).toBe(false);
  });

  it('refuses an empty message before asking Talk', async () => {
    const call = await tools.call(sendMessage, { token: 'lounge99', message: '   ' });
    expect(call.isError).toBe(true);
    expect(call.text).toContain('message: the message is empty');
  });
});

describe('talk_search_messages', () => {
  type Result = {
    conversation: string;
    conversationName: string;
    messageId: number;
    author: string;
    authorId: string;
    time?: string;
    excerpt: string;
  };

  it('finds messages across conversations with token, id, author, time and excerpt', async () => {
    const call = await tools.call(searchMessages, { term: 'readme' }, { user: 'carol' });
    expect(call.isError).toBe(false);
    const results = call.structured!.results as Result[];
    expect(results).toHaveLength(1);
    const hit = results[0]!;
    expect(hit).toMatchObject({
      conversation: 'apollo42x',
      conversationName: 'Project Apollo',
      author: 'Alice Liddell',
      authorId: 'alice',
      excerpt: 'Hi @Carol Danvers, it is in the Readme.',
    });
    expect(room('apollo42x').messages.find((message) => message.id === hit.messageId)!.message).toBe('Hi @carol, it is in the Readme.');
    expect(Date.parse(hit.time!)).toBeGreaterThan(0);
    expect(call.structured).not.toHaveProperty('nextCursor');
  });

  it('searches within one conversation and pages with the cursor', async () => {
    const first = await tools.call(searchMessages, { term: 'e', conversation: 'apollo42x', limit: 2 });
    const page1 = first.structured!.results as Result[];
    expect(page1).toHaveLength(2);
    expect(page1.every((result) => result.conversation === 'apollo42x' && result.author !== '')).toBe(true);
    expect(first.audited).toEqual(['apollo42x']);
    const cursor = first.structured!.nextCursor as string;
    expect(cursor).toBeTruthy();
    const second = await tools.call(searchMessages, { term: 'e', conversation: 'apollo42x', limit: 2, cursor });
    const page2 = second.structured!.results as Result[];
    expect(page2.length).toBeGreaterThan(0);
    expect(page2.map((result) => result.messageId)).not.toContain(page1[0]!.messageId);
    expect(Math.max(...page2.map((result) => result.messageId))).toBeLessThan(Math.min(...page1.map((result) => result.messageId)));
  });

  it('finds nothing in conversations the user is not in, and refuses to search one by token', async () => {
    const everywhere = await tools.call(searchMessages, { term: 'cake' }, { user: 'bob' });
    expect(everywhere.structured!.results).toEqual([]);
    expect(
      ((await tools.call(searchMessages, { term: 'cake' }, { user: 'carol' })).structured!.results as Result[]).map(
        (result) => result.conversation,
      ),
    ).toEqual(['secret55']);
    const filtered = await tools.call(searchMessages, { term: 'cake', conversation: 'secret55' }, { user: 'bob' });
    expect(filtered.isError).toBe(true);
    expect(filtered.text).toBe('Talk conversation secret55 does not exist or bob is not a participant.');
  });
});
