// The Talk data the simulator keeps: finding conversations and attendees, appending messages with the side effects
// Talk's ChatManager has (author's read marker, mention markers, pending notifications), and read markers.
import type { SimState, TalkMessage, TalkParticipant, TalkRoom } from '../context.js';
import { announceRoomActivity } from './activity.js';
import { parseMentions } from './mentions.js';

export const TOKEN_PATTERN = /^[a-z0-9]{4,30}$/;
/** config.chat.max-length */
export const MAX_MESSAGE_LENGTH = 32000;
/** ChatManager cuts reference ids to this length instead of refusing them. */
const MAX_REFERENCE_ID_LENGTH = 64;

/** State updates that clients must not show as chat messages (contract 3.5). */
const HIDDEN_SYSTEM_MESSAGES = new Set([
  'message_deleted',
  'message_edited',
  'reaction',
  'reaction_deleted',
  'reaction_revoked',
  'poll_voted',
]);

export function findRoom(state: SimState, token: string): TalkRoom | undefined {
  return TOKEN_PATTERN.test(token) ? state.talk.rooms.find((room) => room.token === token) : undefined;
}

export function participantOf(room: TalkRoom, userId: string): TalkParticipant | undefined {
  return room.participants.find((participant) => participant.userId === userId);
}

export function roomsOf(state: SimState, userId: string): TalkRoom[] {
  return state.talk.rooms.filter((room) => participantOf(room, userId));
}

export function isVisibleMessage(message: TalkMessage): boolean {
  return !HIDDEN_SYSTEM_MESSAGES.has(message.systemMessage);
}

export function lastCommonRead(room: TalkRoom): number {
  return room.participants.length ? Math.min(...room.participants.map((participant) => participant.lastReadMessage)) : 0;
}

export function setReadMarker(participant: TalkParticipant, messageId: number): void {
  participant.lastReadMessage = messageId;
}

export function clearNotifications(participant: TalkParticipant, messageIds: Iterable<number>): void {
  const cleared = new Set(messageIds);
  participant.pendingNotifications = participant.pendingNotifications.filter((id) => !cleared.has(id));
}

export function newParticipant(userId: string, participantType: number): TalkParticipant {
  return {
    userId,
    participantType,
    attendeePermissions: 0,
    lastReadMessage: 0,
    lastMentionMessage: 0,
    lastMentionDirect: 0,
    pendingNotifications: [],
  };
}

export interface CommentOptions {
  replyTo?: number;
  referenceId?: string;
  silent?: boolean;
  /** Unix seconds; now when absent (seeds pass times relative to their clock). */
  timestamp?: number;
}

/** A chat message from a user. The caller has checked permissions and the reply target. */
export function postComment(state: SimState, room: TalkRoom, actorId: string, text: string, options: CommentOptions = {}): TalkMessage {
  const message = append(state, room, {
    actorType: 'users',
    actorId,
    timestamp: options.timestamp ?? nowSeconds(),
    message: text,
    messageParameters: {},
    messageType: 'comment',
    systemMessage: '',
    referenceId: (options.referenceId ?? '').slice(0, MAX_REFERENCE_ID_LENGTH),
    replyTo: options.replyTo ?? null,
    silent: options.silent ?? false,
  });
  const mentions = parseMentions(state, room, text, room.name);
  const parent = message.replyTo ? room.messages.find((candidate) => candidate.id === message.replyTo) : undefined;
  // Replying to someone counts as mentioning them directly (ChatManager::sendMessage).
  const direct = new Set(mentions.userIds);
  if (parent?.actorType === 'users') direct.add(parent.actorId);
  for (const participant of room.participants) {
    if (participant.userId === actorId) continue;
    if (direct.has(participant.userId)) {
      participant.lastMentionMessage = message.id;
      participant.lastMentionDirect = message.id;
    } else if (mentions.mentionsEveryone) {
      participant.lastMentionMessage = message.id;
    }
    if (!message.silent) participant.pendingNotifications.push(message.id);
  }
  announceRoomActivity(state, room.token);
  return message;
}

/** A system message such as conversation_created: `template` uses the {placeholders} of `parameters`. */
export function postSystemMessage(
  state: SimState,
  room: TalkRoom,
  actorId: string,
  systemMessage: string,
  template: string,
  parameters: TalkMessage['messageParameters'],
  timestamp = nowSeconds(),
): TalkMessage {
  const message = append(state, room, {
    actorType: 'users',
    actorId,
    timestamp,
    message: template,
    messageParameters: parameters,
    messageType: 'system',
    systemMessage,
    referenceId: '',
    replyTo: null,
    silent: false,
  });
  announceRoomActivity(state, room.token);
  return message;
}

function append(state: SimState, room: TalkRoom, fields: Omit<TalkMessage, 'id'>): TalkMessage {
  const message: TalkMessage = { id: state.talk.nextMessageId++, ...fields };
  room.messages.push(message);
  // The author has read everything up to their own message.
  const author = participantOf(room, fields.actorId);
  if (author) setReadMarker(author, message.id);
  return message;
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
