// Talk (spreed) over OCS, under both /ocs/v2.php and /ocs/v1.php: conversations (api/v4) and chat (api/v1), with read
// markers and pending notifications tracked per attendee so tests can prove a client never moves them.
import type { FastifyInstance } from 'fastify';
import type { SimContext } from './context.js';
import { registerChatRoutes } from './talk/routes-chat.js';
import { registerRoomRoutes } from './talk/routes-rooms.js';

export { seedTalk, SEED_TOKENS } from './talk/seed.js';
export { createTalkTestHooks } from './talk/test-hooks.js';
export type { TalkTestHooks } from './talk/test-hooks.js';
export { findRoom, participantOf, postComment, roomsOf } from './talk/store.js';
export type { CommentOptions } from './talk/store.js';

const OCS_BASES = ['/ocs/v2.php/apps/spreed', '/ocs/v1.php/apps/spreed'];

export function registerTalkRoutes(app: FastifyInstance, ctx: SimContext): void {
  for (const base of OCS_BASES) {
    registerRoomRoutes(app, ctx, base);
    registerChatRoutes(app, ctx, base);
  }
}
