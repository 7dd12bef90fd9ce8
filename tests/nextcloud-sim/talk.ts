// Talk (spreed) over OCS: conversations (api/v4) and chat (api/v1), with read markers and pending
// notifications tracked per participant so tests can prove a client never moves them.
import { EventEmitter } from 'node:events';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { SimContext, SimState, SimUser, TalkMessage, TalkParticipant, TalkRoom } from './context.js';
import { requireOcsUser, sendOcs } from './ocs.js';

const BASES = ['/ocs/v2.php/apps/spreed', '/ocs/v1.php/apps/spreed'];
const TOKEN = /^[a-z0-9]{4,30}$/;
const MAX_MESSAGE_LENGTH = 32000;
/** Permission bits (docs/constants.md): everything a normal participant has; 128 = chat. */
const ALL_PERMISSIONS = 1 | 2 | 4 | 16 | 32 | 64 | 128 | 256;
const CHAT = 128;
const HIDDEN_SYSTEM_MESSAGES = new Set(['message_deleted', 'message_edited', 'reaction', 'reaction_deleted', 'reaction_revoked', 'poll_voted']);

const chatQuery = z.object({
  lookIntoFuture: z.enum(['0', '1']),
  limit: z.coerce.number().int().min(1).default(100),
  lastKnownMessageId: z.coerce.number().int().min(0).default(0),
  includeLastKnown: z.enum(['0', '1']).default('0'),
  timeout: z.coerce.number().int().min(0).default(30),
  setReadMarker: z.enum(['0', '1']).default('1'),
  markNotificationsAsRead: z.enum(['0', '1']).default('1'),
  noStatusUpdate: z.enum(['0', '1']).optional(),
  lastCommonReadId: z.coerce.number().int().min(0).default(0),
});
const sendBody = z.object({
  message: z.string(),
  replyTo: z.coerce.number().int().min(0).optional(),
  referenceId: z.string().max(64).optional(),
  silent: z.union([z.boolean(), z.enum(['0', '1', 'true', 'false'])]).optional(),
});
const readBody = z.object({ lastReadMessage: z.coerce.number().int().min(0).optional() });

/** Fires `room:<token>` whenever a message is posted, waking long polls. */
const posted = new EventEmitter();
posted.setMaxListeners(0);

export function participantOf(room: TalkRoom, userId: string): TalkParticipant | undefined {
  return room.participants.find((participant) => participant.userId === userId);
}

export function postMessage(
  state: SimState,
  room: TalkRoom,
  actorId: string,
  text: string,
  options: { replyTo?: number; referenceId?: string; silent?: boolean; timestamp?: number; parameters?: TalkMessage['messageParameters']; system?: string } = {},
): TalkMessage {
  const message: TalkMessage = {
    id: state.talk.nextMessageId++,
    actorType: 'users',
    actorId,
    timestamp: options.timestamp ?? Math.floor(Date.now() / 1000),
    message: text,
    messageParameters: options.parameters ?? {},
    messageType: options.system ? 'system' : 'comment',
    systemMessage: options.system ?? '',
    referenceId: options.referenceId ?? '',
    replyTo: options.replyTo ?? null,
    silent: options.silent ?? false,
  };
  room.messages.push(message);
  for (const participant of room.participants) {
    if (participant.userId === actorId) participant.lastReadMessage = message.id;
    else if (!message.silent && !options.system) participant.pendingNotifications.push(message.id);
  }
  posted.emit(`room:${room.token}`);
  return message;
}

export function seedTalk(state: SimState, now: number): void {
  const room = (token: string, type: TalkRoom['type'], name: string, members: [string, number][], readOnly: 0 | 1 = 0): TalkRoom => {
    const created: TalkRoom = {
      id: state.talk.rooms.length + 1,
      token,
      type,
      name,
      description: '',
      readOnly,
      lobbyState: 0,
      participants: members.map(([userId, participantType]) => ({ userId, participantType, lastReadMessage: 0, pendingNotifications: [] })),
      messages: [],
    };
    state.talk.rooms.push(created);
    return created;
  };
  const ago = (minutes: number) => now - minutes * 60;
  const readAll = (target: TalkRoom, userId: string) => {
    participantOf(target, userId)!.lastReadMessage = target.messages.at(-1)?.id ?? 0;
    participantOf(target, userId)!.pendingNotifications = [];
  };

  const direct = room('alicebob1', 1, 'alice,bob', [['alice', 1], ['bob', 1]]);
  postMessage(state, direct, 'alice', 'alice', { system: 'conversation_created', timestamp: ago(3000) });
  postMessage(state, direct, 'alice', 'Hi Bob, did you see the new roadmap in Plans?', { timestamp: ago(120) });
  const question = postMessage(state, direct, 'bob', 'Yes! The Q3 milestones look ambitious.', { timestamp: ago(110) });
  postMessage(state, direct, 'alice', 'We can discuss it at the standup.', { timestamp: ago(100), replyTo: question.id });
  readAll(direct, 'alice');
  const bobInDirect = participantOf(direct, 'bob')!;
  bobInDirect.lastReadMessage = question.id;
  bobInDirect.pendingNotifications = bobInDirect.pendingNotifications.filter((id) => id > question.id);

  const apollo = room('apollo42x', 2, 'Project Apollo', [['alice', 1], ['bob', 3], ['carol', 3]]);
  postMessage(state, apollo, 'alice', 'alice', { system: 'conversation_created', timestamp: ago(5000) });
  postMessage(state, apollo, 'alice', 'Welcome to Project Apollo! The invoice template is in Documents.', { timestamp: ago(600) });
  postMessage(state, apollo, 'carol', 'Thanks! Where do I find the onboarding checklist?', { timestamp: ago(300) });
  postMessage(state, apollo, 'alice', 'Hi {mention-user1}, it is in the Readme.', {
    timestamp: ago(200),
    parameters: { 'mention-user1': { type: 'user', id: 'carol', name: 'Carol Danvers', 'mention-id': 'carol' } },
  });
  readAll(apollo, 'alice');
  readAll(apollo, 'carol');

  const announcements = room('announce7', 2, 'Announcements', [['alice', 2], ['bob', 3], ['carol', 3]], 1);
  postMessage(state, announcements, 'alice', 'The office is closed on Friday for the team offsite.', { timestamp: ago(1440) });
  readAll(announcements, 'alice');

  const lounge = room('lounge99', 2, 'Staff lounge', [['alice', 1], ['bob', 3]]);
  postMessage(state, lounge, 'bob', 'Coffee machine is fixed ☕', { timestamp: ago(60) });
  postMessage(state, lounge, 'alice', 'Finally! Budget for a new one is in Budget.csv anyway.', { timestamp: ago(50) });
  readAll(lounge, 'bob');
}

function displayName(state: SimState, userId: string): string {
  return state.users.get(userId)?.displayName ?? userId;
}

export function roomDisplayName(state: SimState, room: TalkRoom, viewer: string): string {
  if (room.type === 1) return displayName(state, room.participants.find((participant) => participant.userId !== viewer)?.userId ?? viewer);
  return room.name;
}

/** Substitutes {placeholders} the way the server's search provider renders messages. */
export function renderMessage(message: TalkMessage): string {
  return message.message.replace(/\{([a-z0-9-]+)\}/gi, (whole, key: string) => {
    const parameter = message.messageParameters[key];
    if (!parameter) return whole;
    return parameter.type === 'user' ? `@${parameter.name}` : (parameter.name ?? whole);
  });
}

/** Attendee permissions; read-only state is separate (room.readOnly), as in Talk. Moderators bypass lobbies. */
function permissionsOf(participant: TalkParticipant): number {
  return participant.participantType === 1 || participant.participantType === 2 ? ALL_PERMISSIONS | 8 : ALL_PERMISSIONS;
}

function serializeMessage(state: SimState, room: TalkRoom, message: TalkMessage, withParent = true): Record<string, unknown> {
  const parent = message.replyTo ? room.messages.find((candidate) => candidate.id === message.replyTo) : undefined;
  const serialized: Record<string, unknown> = {
    id: message.id,
    token: room.token,
    actorType: message.actorType,
    actorId: message.actorId,
    actorDisplayName: displayName(state, message.actorId),
    timestamp: message.timestamp,
    message: message.message,
    // PHP serialises an empty associative array as [].
    messageParameters: Object.keys(message.messageParameters).length ? message.messageParameters : [],
    systemMessage: message.systemMessage,
    messageType: message.messageType,
    isReplyable: message.messageType === 'comment',
    referenceId: message.referenceId,
    reactions: {},
    markdown: true,
    expirationTimestamp: 0,
    silent: message.silent,
  };
  if (withParent && parent) serialized.parent = serializeMessage(state, room, parent, false);
  return serialized;
}

function serializeRoom(state: SimState, room: TalkRoom, user: SimUser): Record<string, unknown> {
  const participant = participantOf(room, user.id)!;
  const visible = room.messages.filter((message) => !HIDDEN_SYSTEM_MESSAGES.has(message.systemMessage));
  const unread = visible.filter((message) => message.id > participant.lastReadMessage && message.actorId !== user.id && message.messageType === 'comment');
  const last = visible.at(-1);
  const permissions = permissionsOf(participant);
  return {
    id: room.id,
    token: room.token,
    type: room.type,
    name: room.name,
    displayName: roomDisplayName(state, room, user.id),
    description: room.description,
    participantType: participant.participantType,
    actorType: 'users',
    actorId: user.id,
    attendeeId: room.id * 100 + room.participants.indexOf(participant),
    permissions,
    attendeePermissions: 0,
    callPermissions: 0,
    defaultPermissions: 0,
    readOnly: room.readOnly,
    lobbyState: room.lobbyState,
    lobbyTimer: 0,
    hasPassword: false,
    hasCall: false,
    callFlag: 0,
    canStartCall: room.readOnly === 0,
    canLeaveConversation: room.type !== 1,
    canDeleteConversation: participant.participantType <= 2 && room.type !== 1,
    lastActivity: last?.timestamp ?? 0,
    isFavorite: false,
    isArchived: false,
    notificationLevel: room.type === 1 ? 1 : 2,
    unreadMessages: unread.length,
    unreadMention: unread.some((message) => Object.values(message.messageParameters).some((parameter) => parameter.type === 'user' && parameter.id === user.id)),
    unreadMentionDirect: false,
    lastReadMessage: participant.lastReadMessage,
    lastCommonReadMessage: Math.min(...room.participants.map((member) => member.lastReadMessage)),
    lastMessage: last ? serializeMessage(state, room, last, false) : [],
    objectType: '',
    objectId: '',
    messageExpiration: 0,
    sessionId: '0',
    avatarVersion: 'v1',
    isCustomAvatar: false,
  };
}

export function registerTalkRoutes(app: FastifyInstance, ctx: SimContext): void {
  const { state } = ctx;
  const findRoom = (request: FastifyRequest, reply: FastifyReply, user: SimUser): TalkRoom | null => {
    const token = (request.params as { token: string }).token;
    const room = TOKEN.test(token) ? state.talk.rooms.find((candidate) => candidate.token === token) : undefined;
    if (!room || !participantOf(room, user.id)) {
      sendOcs(request, reply, { status: 404, message: 'Conversation not found' });
      return null;
    }
    return room;
  };
  const lobbyBlocks = (room: TalkRoom, user: SimUser) => room.lobbyState === 1 && (permissionsOf(participantOf(room, user.id)!) & 8) === 0;
  const talkHash = () => 'simhash0000000000000000000000000000000000';

  for (const base of BASES) {
    app.get(`${base}/api/v4/room`, async (request, reply) => {
      const user = requireOcsUser(request, reply);
      if (!user) return reply;
      const rooms = state.talk.rooms.filter((room) => participantOf(room, user.id)).map((room) => serializeRoom(state, room, user));
      return sendOcs(request, reply, { data: rooms, headers: { 'x-nextcloud-talk-hash': talkHash(), 'x-nextcloud-talk-modified-before': String(Math.floor(Date.now() / 1000)) } });
    });

    app.get(`${base}/api/v4/room/:token`, async (request, reply) => {
      const user = requireOcsUser(request, reply);
      if (!user) return reply;
      const room = findRoom(request, reply, user);
      if (!room) return reply;
      return sendOcs(request, reply, { data: serializeRoom(state, room, user), headers: { 'x-nextcloud-talk-hash': talkHash() } });
    });

    app.get(`${base}/api/v1/chat/:token`, async (request, reply) => {
      const user = requireOcsUser(request, reply);
      if (!user) return reply;
      const room = findRoom(request, reply, user);
      if (!room) return reply;
      if (lobbyBlocks(room, user)) return sendOcs(request, reply, { status: 412, message: 'Lobby is active' });
      const query = chatQuery.safeParse(request.query);
      if (!query.success) return sendOcs(request, reply, { status: 400, message: 'lookIntoFuture is required (0 or 1)' });
      const { lookIntoFuture, lastKnownMessageId, includeLastKnown } = query.data;
      const limit = Math.min(query.data.limit, 200);
      const participant = participantOf(room, user.id)!;
      const future = lookIntoFuture === '1';
      const select = () => {
        const candidates = room.messages.filter((message) => {
          if (future) return includeLastKnown === '1' ? message.id >= lastKnownMessageId : message.id > lastKnownMessageId;
          if (lastKnownMessageId === 0) return true;
          return includeLastKnown === '1' ? message.id <= lastKnownMessageId : message.id < lastKnownMessageId;
        });
        return future ? candidates.slice(0, limit) : candidates.slice(-limit).reverse();
      };
      let batch = select();
      if (future && batch.length === 0 && query.data.timeout > 0) {
        // Long poll: wait for a post in this room, the (capped) timeout, or the client going away.
        await new Promise<void>((resolve) => {
          const wake = () => finish();
          const timer = setTimeout(() => finish(), Math.min(query.data.timeout, 30) * 1000);
          const finish = () => {
            clearTimeout(timer);
            posted.off(`room:${room.token}`, wake);
            request.raw.off('close', wake);
            resolve();
          };
          posted.on(`room:${room.token}`, wake);
          request.raw.once('close', wake);
        });
        if (request.raw.destroyed) return reply;
        batch = select();
      }
      if (batch.length === 0) return reply.code(304).send();
      const lastGiven = batch.at(-1)!.id;
      if (future && query.data.setReadMarker === '1') participant.lastReadMessage = Math.max(participant.lastReadMessage, lastGiven);
      if (query.data.markNotificationsAsRead === '1') {
        const given = new Set(batch.map((message) => message.id));
        participant.pendingNotifications = participant.pendingNotifications.filter((id) => !given.has(id));
      }
      const visible = batch.filter((message) => !HIDDEN_SYSTEM_MESSAGES.has(message.systemMessage));
      return sendOcs(request, reply, {
        data: visible.map((message) => serializeMessage(state, room, message)),
        headers: {
          'x-chat-last-given': String(lastGiven),
          'x-chat-last-common-read': String(Math.min(...room.participants.map((member) => member.lastReadMessage))),
        },
      });
    });

    app.post(`${base}/api/v1/chat/:token`, async (request, reply) => {
      const user = requireOcsUser(request, reply);
      if (!user) return reply;
      const room = findRoom(request, reply, user);
      if (!room) return reply;
      const participant = participantOf(room, user.id)!;
      if (lobbyBlocks(room, user)) return sendOcs(request, reply, { status: 412, message: 'Lobby is active' });
      if (room.readOnly === 1 || (permissionsOf(participant) & CHAT) === 0) {
        return sendOcs(request, reply, { status: 403, message: 'Conversation is read-only' });
      }
      const body = sendBody.safeParse({ ...(request.query as object), ...((request.body as object) ?? {}) });
      if (!body.success || body.data.message.trim() === '') return sendOcs(request, reply, { status: 400, data: { error: 'message' } });
      if (body.data.message.length > MAX_MESSAGE_LENGTH) return sendOcs(request, reply, { status: 413, data: { error: 'message' } });
      if (body.data.replyTo !== undefined) {
        const parent = room.messages.find((message) => message.id === body.data.replyTo);
        if (!parent || parent.messageType !== 'comment') return sendOcs(request, reply, { status: 400, data: { error: 'reply-to' } });
      }
      const silent = body.data.silent === true || body.data.silent === '1' || body.data.silent === 'true';
      const message = postMessage(state, room, user.id, body.data.message, { replyTo: body.data.replyTo, referenceId: body.data.referenceId, silent });
      return sendOcs(request, reply, {
        status: 201,
        data: serializeMessage(state, room, message),
        headers: { 'x-chat-last-common-read': String(Math.min(...room.participants.map((member) => member.lastReadMessage))) },
      });
    });

    app.get(`${base}/api/v1/chat/:token/:messageId/context`, async (request, reply) => {
      const user = requireOcsUser(request, reply);
      if (!user) return reply;
      const room = findRoom(request, reply, user);
      if (!room) return reply;
      const messageId = Number((request.params as { messageId: string }).messageId);
      const limit = Math.min(Number((request.query as { limit?: string }).limit ?? 50) || 50, 100);
      const index = room.messages.findIndex((message) => message.id === messageId);
      if (index === -1) return reply.code(304).send();
      const around = room.messages.slice(Math.max(0, index - limit), index + limit + 1).reverse();
      return sendOcs(request, reply, { data: around.map((message) => serializeMessage(state, room, message)) });
    });

    app.post(`${base}/api/v1/chat/:token/read`, async (request, reply) => {
      const user = requireOcsUser(request, reply);
      if (!user) return reply;
      const room = findRoom(request, reply, user);
      if (!room) return reply;
      const body = readBody.safeParse({ ...(request.query as object), ...((request.body as object) ?? {}) });
      const participant = participantOf(room, user.id)!;
      participant.lastReadMessage = body.success && body.data.lastReadMessage !== undefined ? body.data.lastReadMessage : (room.messages.at(-1)?.id ?? 0);
      return sendOcs(request, reply, { data: serializeRoom(state, room, user) });
    });
  }
}
