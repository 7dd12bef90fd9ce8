// Room and Message objects in the shape Talk's API returns them (contract 3.2 and 3.5), including PHP's habit of
// rendering an empty map as [].
import type { SimState, TalkMessage, TalkParticipant, TalkRoom } from '../context.js';
import { effectivePermissions, isHeldInLobby, isModerator, Permission } from './permissions.js';
import { renderForViewer, roomDisplayName, userDisplayName } from './render.js';
import { isVisibleMessage, lastCommonRead } from './store.js';

const NOTIFY_ALWAYS = 1;
const NOTIFY_MENTION = 2;

/** A PHP associative array: empty serialises as []. */
function phpMap<T>(map: Record<string, T>): Record<string, T> | [] {
  return Object.keys(map).length ? map : [];
}

export function serializeMessage(
  state: SimState,
  room: TalkRoom,
  message: TalkMessage,
  viewerId: string,
  withParent = true,
): Record<string, unknown> {
  const rendered = renderForViewer(state, room, message, viewerId);
  const serialized: Record<string, unknown> = {
    id: message.id,
    token: room.token,
    actorType: message.actorType,
    actorId: message.actorId,
    actorDisplayName: message.actorType === 'users' ? userDisplayName(state, message.actorId) : '',
    timestamp: message.timestamp,
    message: rendered.message,
    messageParameters: phpMap(rendered.parameters),
    systemMessage: message.systemMessage,
    messageType: message.messageType,
    isReplyable: message.messageType === 'comment',
    referenceId: message.referenceId,
    // Always an object: Talk casts reactions to an object so an empty list is {} (unlike messageParameters).
    reactions: {},
    markdown: message.messageType === 'comment',
    expirationTimestamp: 0,
    silent: message.silent,
  };
  if (withParent && message.replyTo) {
    const parent = room.messages.find((candidate) => candidate.id === message.replyTo);
    // Parents are never nested; a vanished parent is reported as deleted.
    serialized.parent = parent ? serializeMessage(state, room, parent, viewerId, false) : { id: message.replyTo, deleted: true };
  }
  return serialized;
}

export function serializeRoom(state: SimState, room: TalkRoom, participant: TalkParticipant): Record<string, unknown> {
  const viewerId = participant.userId;
  const heldInLobby = isHeldInLobby(room, participant);
  const visible = room.messages.filter(isVisibleMessage);
  const lastMessage = visible.at(-1);
  const unread = visible.filter(
    (message) => message.id > participant.lastReadMessage && message.messageType === 'comment' && message.actorId !== viewerId,
  );
  const permissions = effectivePermissions(room, participant);
  const oneToOne = room.type === 1 || room.type === 5;
  const data: Record<string, unknown> = {
    id: room.id,
    token: room.token,
    type: room.type,
    name: room.name,
    displayName: roomDisplayName(state, room, viewerId),
    description: room.description,
    participantType: participant.participantType,
    actorType: 'users',
    actorId: viewerId,
    attendeeId: room.id * 1000 + room.participants.indexOf(participant) + 1,
    permissions,
    attendeePermissions: participant.attendeePermissions,
    callPermissions: 0,
    defaultPermissions: room.defaultPermissions,
    participantFlags: 0,
    readOnly: room.readOnly,
    listable: 0,
    messageExpiration: 0,
    lobbyState: room.lobbyState,
    lobbyTimer: 0,
    sipEnabled: 0,
    canEnableSIP: false,
    hasPassword: false,
    hasCall: false,
    callFlag: 0,
    callStartTime: 0,
    callRecording: 0,
    canStartCall: (permissions & Permission.CALL_START) !== 0 && room.type !== 6,
    canLeaveConversation: true,
    canDeleteConversation: !oneToOne && isModerator(participant),
    lastActivity: lastMessage?.timestamp ?? 0,
    lastPing: 0,
    sessionId: '0',
    isFavorite: false,
    isArchived: false,
    isImportant: false,
    isSensitive: false,
    notificationLevel: oneToOne ? NOTIFY_ALWAYS : NOTIFY_MENTION,
    notificationCalls: 1,
    unreadMessages: unread.length,
    unreadMention: participant.lastMentionMessage > participant.lastReadMessage,
    unreadMentionDirect: participant.lastMentionDirect > participant.lastReadMessage,
    lastReadMessage: participant.lastReadMessage,
    lastCommonReadMessage: lastCommonRead(room),
    lastMessage: lastMessage ? serializeMessage(state, room, lastMessage, viewerId, false) : [],
    objectType: '',
    objectId: '',
    breakoutRoomMode: 0,
    breakoutRoomStatus: 0,
    avatarVersion: 'v1',
    isCustomAvatar: false,
    recordingConsent: 0,
    mentionPermissions: 0,
  };
  if (heldInLobby) {
    // RoomFormatter stops before chat data for attendees waiting in the lobby.
    Object.assign(data, { unreadMessages: 0, unreadMention: false, unreadMentionDirect: false, lastMessage: [], hasCall: false });
  }
  return data;
}
