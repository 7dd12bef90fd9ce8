// Which messages one chat request returns (ChatManager::getHistory / waitForNewMessages): history newest → oldest
// below the offset, future oldest → newest above it.
import type { TalkMessage, TalkRoom } from '../context.js';

export interface BatchQuery {
  future: boolean;
  lastKnownMessageId: number;
  includeLastKnown: boolean;
  limit: number;
}

export function selectBatch(room: TalkRoom, query: BatchQuery): TalkMessage[] {
  const { future, lastKnownMessageId: offset, includeLastKnown, limit } = query;
  if (future) {
    return room.messages.filter((message) => (includeLastKnown ? message.id >= offset : message.id > offset)).slice(0, limit);
  }
  // History with offset 0 starts from the newest message.
  const older =
    offset === 0 ? room.messages : room.messages.filter((message) => (includeLastKnown ? message.id <= offset : message.id < offset));
  return older.slice(-limit).reverse();
}

/** GET …/{messageId}/context: up to `limit` messages each side of the message, oldest → newest. */
export function selectContext(room: TalkRoom, messageId: number, limit: number): TalkMessage[] {
  const index = room.messages.findIndex((message) => message.id === messageId);
  if (index === -1) return [];
  return room.messages.slice(Math.max(0, index - limit), index + limit + 1);
}
