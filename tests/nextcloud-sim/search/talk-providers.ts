// Talk's unified search providers (spreed lib/Search): talk-message over comments in the user's conversations, and
// talk-conversations over conversation names. Answered from the simulator's Talk state.
import type { SimContext, SimState, TalkMessage, TalkRoom } from '../context.js';
import { toPhpInt } from '../php-params.js';
import { isHeldInLobby } from '../talk/permissions.js';
import { renderForViewer, roomDisplayName, substitutePlaceholders, userDisplayName } from '../talk/render.js';
import { findRoom, isVisibleMessage, participantOf, roomsOf } from '../talk/store.js';
import type { ProviderQuery } from './query.js';
import { attributes, completeResult, paginatedResult } from './result.js';
import type { SearchEntry, SearchResultBody } from './result.js';

const CHANGELOG = 4;

export function createTalkMessageSearch(ctx: SimContext) {
  return async (query: ProviderQuery): Promise<SearchResultBody> => {
    const { state } = ctx;
    const currentToken = query.route.route === 'spreed.Page.showCall' ? (query.route.params.token ?? '') : '';
    const conversation = stringFilter(query, 'conversation');
    let title = currentToken ? 'Messages in other conversations' : 'Messages';
    let rooms: TalkRoom[];
    let filteredToOne = false;
    if (conversation !== undefined && conversation !== currentToken) {
      title = 'Messages';
      filteredToOne = true;
      const room = findRoom(state, conversation);
      if (!room || !participantOf(room, query.user.id)) return completeResult(title, []);
      rooms = [room];
    } else if (conversation !== undefined) {
      // The current conversation is talk-message-current's business.
      return completeResult(title, []);
    } else {
      rooms = roomsOf(state, query.user.id);
    }
    const searchable = rooms.filter(
      (room) =>
        (filteredToOne || (room.type !== CHANGELOG && room.token !== currentToken)) &&
        !isHeldInLobby(room, participantOf(room, query.user.id)!),
    );
    if (searchable.length === 0) return completeResult(title, []);

    const offset = query.cursor === undefined ? 0 : toPhpInt(query.cursor);
    const since = dateFilter(query, 'since');
    const until = dateFilter(query, 'until');
    const person = query.filters.values.get('person');
    const authorId = person?.kind === 'user' ? person.value.id : undefined;
    const term = query.term.toLowerCase();
    // The comments query: verb comment, message LIKE %term% on the stored text, newest first.
    const hits = searchable
      .flatMap((room) =>
        room.messages
          .filter((message) => message.messageType === 'comment' && isVisibleMessage(message))
          .map((message) => ({ room, message })),
      )
      .filter(({ message }) => message.message.toLowerCase().includes(term))
      .filter(({ message }) => (since === undefined || message.timestamp >= since) && (until === undefined || message.timestamp <= until))
      .filter(({ message }) => authorId === undefined || (message.actorType === 'users' && message.actorId === authorId))
      .sort((a, b) => b.message.timestamp - a.message.timestamp || b.message.id - a.message.id)
      .slice(offset, offset + query.limit);
    const entries = hits.map(({ room, message }) => messageEntry(ctx, room, message, query, filteredToOne));
    return paginatedResult(title, entries, offset + query.limit);
  };
}

function messageEntry(ctx: SimContext, room: TalkRoom, message: TalkMessage, query: ProviderQuery, filteredToOne: boolean): SearchEntry {
  const { state } = ctx;
  let text = substitutePlaceholders(renderForViewer(state, room, message, query.user.id));
  // A match far into a long message would be invisible in the result list, so the subline starts shortly before it.
  const matchPosition = text.toLowerCase().indexOf(query.term.toLowerCase());
  if (matchPosition > 30 && [...text].length > 40) text = `…${text.slice(matchPosition - 10)}`;
  const author = authorName(state, message);
  const oneToOne = room.type === 1 || room.type === 5;
  return {
    thumbnailUrl: message.actorType === 'users' ? `${ctx.baseUrl()}/index.php/avatar/${encodeURIComponent(message.actorId)}/512` : '',
    title: filteredToOne || oneToOne ? author : `${author} in ${roomDisplayName(state, room, query.user.id)}`,
    subline: text,
    resourceUrl: `${ctx.baseUrl()}/index.php/call/${room.token}#message_${message.id}`,
    icon: 'icon-talk',
    rounded: true,
    attributes: attributes({
      conversation: room.token,
      messageId: message.id,
      actorType: message.actorType,
      actorId: message.actorId,
      timestamp: message.timestamp,
    }),
  };
}

function authorName(state: SimState, message: TalkMessage): string {
  if (message.actorType === 'guests') return message.actorId ? `${message.actorId} (guest)` : 'Guest';
  return userDisplayName(state, message.actorId);
}

export function createTalkConversationSearch(ctx: SimContext) {
  return async (query: ProviderQuery): Promise<SearchResultBody> => {
    const { state } = ctx;
    const viewer = query.user.id;
    const term = query.term.toLowerCase();
    const currentToken = query.route.route.startsWith('spreed.') ? query.route.params.token : undefined;
    const entries = roomsOf(state, viewer)
      // The conversation the user is looking at is left out: they most likely look for something else.
      .filter((room) => room.type !== CHANGELOG && room.token !== currentToken)
      .filter((room) => {
        if (room.type !== 1 && room.type !== 5) return room.name.toLowerCase().includes(term);
        // One-to-one: the other user's id (the room name without the viewer) or their display name.
        const otherIds = room.name.replace(JSON.stringify(viewer), '');
        return otherIds.toLowerCase().includes(term) || roomDisplayName(state, room, viewer).toLowerCase().includes(term);
      })
      .map((room): SearchEntry => ({
        thumbnailUrl: `${ctx.baseUrl()}/ocs/v2.php/apps/spreed/api/v1/room/${room.token}/avatar?v=v1`,
        title: roomDisplayName(state, room, viewer),
        subline: '',
        resourceUrl: `${ctx.baseUrl()}/index.php/call/${room.token}`,
        icon: '',
        rounded: true,
        attributes: attributes({ conversation: room.token }),
      }));
    return completeResult('Conversations', entries);
  };
}

function stringFilter(query: ProviderQuery, name: string): string | undefined {
  const filter = query.filters.values.get(name);
  return filter?.kind === 'string' ? filter.value : undefined;
}

function dateFilter(query: ProviderQuery, name: string): number | undefined {
  const filter = query.filters.values.get(name);
  return filter?.kind === 'datetime' ? Math.floor(filter.value.getTime() / 1000) : undefined;
}
