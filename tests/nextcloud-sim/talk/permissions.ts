// Talk's permission chain (Participant::getPermissions): attendee permissions, else the conversation default,
// else the server default; moderators always get everything. Read-only is a room state, not a permission bit.
import type { TalkParticipant, TalkRoom } from '../context.js';

export const Permission = {
  CUSTOM: 1,
  CALL_START: 2,
  CALL_JOIN: 4,
  LOBBY_IGNORE: 8,
  PUBLISH_AUDIO: 16,
  PUBLISH_VIDEO: 32,
  PUBLISH_SCREEN: 64,
  CHAT: 128,
} as const;

/** Attendee::PERMISSIONS_MAX_DEFAULT of the Talk generation the simulator reports (before the NC 34 reaction bit). */
export const MAX_DEFAULT_PERMISSIONS = 254;
/** Config::getDefaultPermissions() without an admin override: everything but ignoring the lobby. */
const SERVER_DEFAULT_PERMISSIONS = MAX_DEFAULT_PERMISSIONS & ~Permission.LOBBY_IGNORE;

export const ParticipantType = { OWNER: 1, MODERATOR: 2, USER: 3, GUEST: 4, USER_SELF_JOINED: 5, GUEST_MODERATOR: 6 } as const;

export function isModerator(participant: TalkParticipant): boolean {
  return (
    participant.participantType === ParticipantType.OWNER ||
    participant.participantType === ParticipantType.MODERATOR ||
    participant.participantType === ParticipantType.GUEST_MODERATOR
  );
}

export function effectivePermissions(room: TalkRoom, participant: TalkParticipant): number {
  if (isModerator(participant)) return MAX_DEFAULT_PERMISSIONS;
  if (participant.attendeePermissions !== 0) return participant.attendeePermissions;
  if (room.defaultPermissions !== 0) return room.defaultPermissions;
  return SERVER_DEFAULT_PERMISSIONS;
}

/** RequireModeratorOrNoLobby: an active lobby shuts out everyone who may not bypass it. */
export function isHeldInLobby(room: TalkRoom, participant: TalkParticipant): boolean {
  return room.lobbyState === 1 && !isModerator(participant) && (effectivePermissions(room, participant) & Permission.LOBBY_IGNORE) === 0;
}

export function hasChatPermission(room: TalkRoom, participant: TalkParticipant): boolean {
  return (effectivePermissions(room, participant) & Permission.CHAT) !== 0;
}
