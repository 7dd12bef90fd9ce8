// What tests may look at and do behind the API's back: read markers and pending notifications (to prove a client
// never moves them), and messages from other users (to set up state or wake long polls).
import type { SimState, TalkMessage, TalkParticipant } from '../context.js';
import { waitingLongPolls } from './activity.js';
import { findRoom, participantOf, postComment } from './store.js';
import type { CommentOptions } from './store.js';

export interface TalkTestHooks {
  lastReadMessage(token: string, userId: string): number;
  pendingNotificationCount(token: string, userId: string): number;
  /** Posts as `userId` with the same side effects as the API (markers, notifications, waking long polls). */
  postAs(userId: string, token: string, text: string, options?: CommentOptions): TalkMessage;
  /** Long polls currently waiting on the conversation. */
  waitingLongPolls(token: string): number;
}

export function createTalkTestHooks(state: SimState): TalkTestHooks {
  const attendee = (token: string, userId: string): TalkParticipant => {
    const room = findRoom(state, token);
    const participant = room && participantOf(room, userId);
    if (!participant) throw new Error(`${userId} is not an attendee of Talk conversation ${token}`);
    return participant;
  };
  return {
    lastReadMessage: (token, userId) => attendee(token, userId).lastReadMessage,
    pendingNotificationCount: (token, userId) => attendee(token, userId).pendingNotifications.length,
    postAs(userId, token, text, options) {
      attendee(token, userId);
      return postComment(state, findRoom(state, token)!, userId, text, options);
    },
    waitingLongPolls: (token) => waitingLongPolls(state, token),
  };
}
