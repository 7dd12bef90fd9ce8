// Talk's RequireParticipant / RequireModeratorOrNoLobby middleware: the logged-in user must be an attendee of the
// conversation named in the URL (404 otherwise, also for malformed tokens), and not be waiting in its lobby (412).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SimState, SimUser, TalkParticipant, TalkRoom } from '../context.js';
import { requireOcsUser, sendOcs } from '../ocs.js';
import { isHeldInLobby } from './permissions.js';
import { findRoom, participantOf } from './store.js';

export interface Attendance {
  user: SimUser;
  room: TalkRoom;
  participant: TalkParticipant;
}

/** The attendance, or null after the error response has been sent. */
export function requireAttendance(
  state: SimState,
  request: FastifyRequest<{ Params: { token: string } }>,
  reply: FastifyReply,
  options: { lobbyApplies: boolean },
): Attendance | null {
  const user = requireOcsUser(request, reply);
  if (!user) return null;
  const room = findRoom(state, request.params.token);
  const participant = room && participantOf(room, user.id);
  if (!room || !participant) {
    // Talk's middleware throws OCSException('', 404): empty message, data [].
    sendOcs(request, reply, { status: 404, message: '' });
    return null;
  }
  if (options.lobbyApplies && isHeldInLobby(room, participant)) {
    sendOcs(request, reply, { status: 412, message: '' });
    return null;
  }
  return { user, room, participant };
}
