// Conversations (api/v4): the user's room list and single rooms.
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { SimContext } from '../context.js';
import { requireOcsUser, sendOcs } from '../ocs.js';
import { phpInt, phpParams } from '../php-params.js';
import { requireAttendance } from './guard.js';
import { serializeRoom } from './serialize.js';
import { participantOf, roomsOf } from './store.js';

/** Changes when clients must refetch capabilities; the simulated capabilities never change. */
export const TALK_HASH = createHash('sha1').update('nextcloud-sim talk capabilities v1').digest('hex');

const listQuery = z.object({ modifiedSince: phpInt(0) });

export function registerRoomRoutes(app: FastifyInstance, ctx: SimContext, base: string): void {
  const { state } = ctx;

  app.get(`${base}/api/v4/room`, async (request, reply) => {
    const user = requireOcsUser(request, reply);
    if (!user) return reply;
    const modifiedBefore = Math.floor(Date.now() / 1000);
    const query = listQuery.parse(phpParams(request.query));
    const rooms = roomsOf(state, user.id)
      .map((room) => serializeRoom(state, room, participantOf(room, user.id)!))
      // modifiedSince lets clients fetch only conversations with activity since their last full list.
      .filter((room) => query.modifiedSince === 0 || (room.lastActivity as number) >= query.modifiedSince);
    return sendOcs(request, reply, {
      data: rooms,
      headers: { 'X-Nextcloud-Talk-Hash': TALK_HASH, 'X-Nextcloud-Talk-Modified-Before': String(modifiedBefore) },
    });
  });

  app.get<{ Params: { token: string } }>(`${base}/api/v4/room/:token`, async (request, reply) => {
    // Reading the room itself is allowed in the lobby; the formatter leaves the chat data out.
    const attendance = requireAttendance(state, request, reply, { lobbyApplies: false });
    if (!attendance) return reply;
    return sendOcs(request, reply, {
      data: serializeRoom(state, attendance.room, attendance.participant),
      headers: { 'X-Nextcloud-Talk-Hash': TALK_HASH },
    });
  });
}
