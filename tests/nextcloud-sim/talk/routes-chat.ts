// Chat (api/v1): receiving with paging and long polling, sending, message context and the read marker.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { SimContext, SimState, TalkMessage, TalkRoom } from '../context.js';
import { sendOcs } from '../ocs.js';
import { phpBool, phpInt, phpParams, requiredPhpInt } from '../php-params.js';
import { waitForRoomActivity } from './activity.js';
import { requireAttendance } from './guard.js';
import type { BatchQuery } from './history.js';
import { selectBatch, selectContext } from './history.js';
import { hasChatPermission } from './permissions.js';
import { serializeMessage, serializeRoom } from './serialize.js';
import { clearNotifications, isVisibleMessage, lastCommonRead, MAX_MESSAGE_LENGTH, postComment, setReadMarker } from './store.js';

const MAX_LIMIT = 200;
/** The code caps long polls at 30 s (the docs say 60). */
const MAX_TIMEOUT_SECONDS = 30;
const MAX_CONTEXT_LIMIT = 100;

// Talk declares these as int parameters and compares with === 1, so "true" counts as 0 like in PHP.
const receiveQuery = z.object({
  lookIntoFuture: requiredPhpInt(),
  limit: phpInt(100),
  lastKnownMessageId: phpInt(0),
  includeLastKnown: phpInt(0),
  timeout: phpInt(30),
  setReadMarker: phpInt(1),
  markNotificationsAsRead: phpInt(1),
  noStatusUpdate: phpInt(0),
  lastCommonReadId: phpInt(0),
});

const sendParams = z.object({
  message: z.string().optional(),
  replyTo: phpInt(0),
  referenceId: z.string().default(''),
  silent: phpBool(false),
});

const contextQuery = z.object({ limit: phpInt(50) });
const readParams = z.object({ lastReadMessage: z.string().optional() });

export function registerChatRoutes(app: FastifyInstance, ctx: SimContext, base: string): void {
  const { state } = ctx;
  type TokenRoute = { Params: { token: string } };

  app.get<TokenRoute>(`${base}/api/v1/chat/:token`, async (request, reply) => {
    const attendance = requireAttendance(state, request, reply, { lobbyApplies: true });
    if (!attendance) return reply;
    const { room, participant } = attendance;
    const parsed = receiveQuery.safeParse(phpParams(request.query));
    if (!parsed.success) return sendOcs(request, reply, { status: 400, message: '' });
    const query = parsed.data;
    const batchQuery: BatchQuery = {
      future: query.lookIntoFuture === 1,
      lastKnownMessageId: query.lastKnownMessageId,
      includeLastKnown: query.includeLastKnown === 1,
      limit: Math.min(MAX_LIMIT, Math.max(1, query.limit)),
    };
    let batch = selectBatch(room, batchQuery);
    if (batchQuery.future && batch.length === 0 && query.timeout > 0) {
      const timeoutMs = Math.min(MAX_TIMEOUT_SECONDS, query.timeout) * 1000;
      const waited = await waitForBatch(state, room, batchQuery, timeoutMs, reply);
      if (waited === 'client-gone') {
        // Nobody is listening any more: end quietly instead of rendering a response.
        reply.hijack();
        reply.raw.destroy();
        return reply;
      }
      batch = waited;
    }

    if (batch.length === 0) {
      const commonRead = lastCommonRead(room);
      if (query.lastCommonReadId !== 0 && query.lastCommonReadId !== commonRead) {
        // 304 may not carry the header, so Talk answers 200 with an empty list when only the common read moved.
        return sendOcs(request, reply, { data: [], headers: { 'X-Chat-Last-Common-Read': String(commonRead) } });
      }
      return sendOcs(request, reply, { status: 304 });
    }

    const newest = Math.max(...batch.map((message) => message.id));
    if (batchQuery.future && query.setReadMarker === 1) setReadMarker(participant, Math.max(participant.lastReadMessage, newest));
    if (query.markNotificationsAsRead === 1)
      clearNotifications(
        participant,
        batch.map((message) => message.id),
      );
    return sendOcs(request, reply, {
      // Invisible messages are dropped but still count for X-Chat-Last-Given, so a page may be an empty 200.
      data: batch.filter(isVisibleMessage).map((message) => serializeMessage(state, room, message, participant.userId)),
      headers: {
        'X-Chat-Last-Given': String(batch.at(-1)!.id),
        'X-Chat-Last-Common-Read': String(lastCommonRead(room)),
      },
    });
  });

  app.post<TokenRoute>(`${base}/api/v1/chat/:token`, async (request, reply) => {
    const attendance = requireAttendance(state, request, reply, { lobbyApplies: true });
    if (!attendance) return reply;
    const { room, participant } = attendance;
    if (!hasChatPermission(room, participant) || room.readOnly === 1) return sendOcs(request, reply, { status: 403, message: '' });
    const params = sendParams.parse(phpParams(request.query, request.body));
    const text = params.message ?? '';
    if (text.trim() === '') return sendOcs(request, reply, { status: 400, message: '', data: { error: 'message' } });
    if (params.replyTo !== 0 && !isReplyTarget(room, params.replyTo)) {
      return sendOcs(request, reply, { status: 400, message: '', data: { error: 'reply-to' } });
    }
    // Talk counts characters, not bytes or UTF-16 units.
    if ([...text].length > MAX_MESSAGE_LENGTH) return sendOcs(request, reply, { status: 413, message: '', data: { error: 'message' } });
    const message = postComment(state, room, participant.userId, text, {
      replyTo: params.replyTo || undefined,
      referenceId: params.referenceId,
      silent: params.silent,
    });
    return sendOcs(request, reply, {
      status: 201,
      data: serializeMessage(state, room, message, participant.userId),
      headers: { 'X-Chat-Last-Common-Read': String(lastCommonRead(room)) },
    });
  });

  app.get<{ Params: { token: string; messageId: string } }>(`${base}/api/v1/chat/:token/:messageId/context`, async (request, reply) => {
    const attendance = requireAttendance(state, request, reply, { lobbyApplies: true });
    if (!attendance) return reply;
    const { room, participant } = attendance;
    const limit = Math.min(MAX_CONTEXT_LIMIT, Math.max(1, contextQuery.parse(phpParams(request.query)).limit));
    const around = selectContext(room, Number.parseInt(request.params.messageId, 10), limit);
    if (around.length === 0) return sendOcs(request, reply, { status: 304 });
    return sendOcs(request, reply, {
      data: around.filter(isVisibleMessage).map((message) => serializeMessage(state, room, message, participant.userId)),
      headers: { 'X-Chat-Last-Given': String(around.at(-1)!.id), 'X-Chat-Last-Common-Read': String(lastCommonRead(room)) },
    });
  });

  app.post<TokenRoute>(`${base}/api/v1/chat/:token/read`, async (request, reply) => {
    const attendance = requireAttendance(state, request, reply, { lobbyApplies: false });
    if (!attendance) return reply;
    const { room, participant } = attendance;
    const params = readParams.parse(phpParams(request.query, request.body));
    // Without an id (capability chat-read-last) the marker goes to the newest message.
    const target =
      params.lastReadMessage === undefined ? (room.messages.at(-1)?.id ?? 0) : Number.parseInt(params.lastReadMessage, 10) || 0;
    setReadMarker(participant, target);
    return sendOcs(request, reply, {
      data: serializeRoom(state, room, participant),
      headers: { 'X-Chat-Last-Common-Read': String(lastCommonRead(room)) },
    });
  });
}

/** Only comments in the same room can be replied to. */
function isReplyTarget(room: TalkRoom, messageId: number): boolean {
  return room.messages.some((message) => message.id === messageId && message.messageType === 'comment');
}

/**
 * Long poll: wait until the batch is non-empty or the deadline passes (then the empty batch), or until the client
 * disconnects. A wake-up that still yields nothing (e.g. the offset is ahead) keeps waiting, as Talk's loop does.
 */
async function waitForBatch(
  state: SimState,
  room: TalkRoom,
  query: BatchQuery,
  timeoutMs: number,
  reply: FastifyReply,
): Promise<TalkMessage[] | 'client-gone'> {
  const clientGone = new AbortController();
  const onClose = () => {
    if (!reply.raw.writableEnded) clientGone.abort();
  };
  reply.raw.once('close', onClose);
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) return [];
      const outcome = await waitForRoomActivity(state, room.token, remaining, clientGone.signal);
      if (outcome === 'aborted') return 'client-gone';
      const batch = selectBatch(room, query);
      if (batch.length > 0 || outcome === 'timeout') return batch;
    }
  } finally {
    reply.raw.off('close', onClose);
  }
}
