// Nextcloud's unified search OCS API with the providers this app uses. Files and events come from the
// SabreDAV backend (it owns that data); Talk providers are answered from the Talk state here.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { SimContext, SimUser } from './context.js';
import { requireOcsUser, sendOcs } from './ocs.js';
import { participantOf, renderMessage, roomDisplayName } from './talk.js';

const BASES = ['/ocs/v2.php', '/ocs/v1.php'];

const providers = [
  { id: 'files', appId: 'files', name: 'Files', icon: '/apps/files/img/app.svg', order: 5, triggers: ['files'], filters: { term: 'string', since: 'datetime', until: 'datetime', person: 'person', 'min-size': 'int', 'max-size': 'int', mime: 'string', type: 'string', path: 'string', 'is-favorite': 'bool', 'title-only': 'bool' }, inAppSearch: false },
  { id: 'calendar', appId: 'calendar', name: 'Events', icon: '/apps/calendar/img/calendar-dark.svg', order: 30, triggers: ['calendar'], filters: { term: 'string', since: 'datetime', until: 'datetime', person: 'person' }, inAppSearch: false },
  { id: 'talk-conversations', appId: 'spreed', name: 'Conversations', icon: '/apps/spreed/img/app-dark.svg', order: 20, triggers: ['talk-conversations'], filters: { term: 'string' }, inAppSearch: false },
  { id: 'talk-message', appId: 'spreed', name: 'Messages', icon: '/apps/spreed/img/app-dark.svg', order: 25, triggers: ['talk-message'], filters: { term: 'string', since: 'datetime', until: 'datetime', person: 'person', conversation: 'string' }, inAppSearch: false },
];

const searchQuery = z.object({
  term: z.string().default(''),
  limit: z.coerce.number().int().default(5),
  cursor: z.coerce.number().int().min(0).optional(),
  conversation: z.string().optional(),
  since: z.coerce.number().int().optional(),
  until: z.coerce.number().int().optional(),
});

const davResult = z.object({
  entries: z.array(z.looseObject({ title: z.string() })),
  cursor: z.union([z.number(), z.string(), z.null()]),
  isPaginated: z.boolean(),
});

/** PHP renders an empty string map as []. */
function attributes(values: Record<string, string>): Record<string, string> | [] {
  return Object.keys(values).length ? values : [];
}

export function registerSearchRoutes(app: FastifyInstance, ctx: SimContext): void {
  const { state } = ctx;

  const searchTalkMessages = (user: SimUser, query: z.infer<typeof searchQuery>, limit: number) => {
    const offset = query.cursor ?? 0;
    const term = query.term.toLowerCase();
    const rooms = state.talk.rooms.filter((room) => participantOf(room, user.id) && room.type !== 4 && (!query.conversation || room.token === query.conversation));
    const hits = rooms
      .flatMap((room) => room.messages.filter((message) => message.messageType === 'comment').map((message) => ({ room, message })))
      .filter(({ message }) => renderMessage(message).toLowerCase().includes(term))
      .filter(({ message }) => (query.since === undefined || message.timestamp >= query.since) && (query.until === undefined || message.timestamp <= query.until))
      .sort((a, b) => b.message.timestamp - a.message.timestamp || b.message.id - a.message.id);
    const page = hits.slice(offset, offset + limit);
    return {
      name: 'Messages',
      isPaginated: true,
      entries: page.map(({ room, message }) => {
        const author = state.users.get(message.actorId)?.displayName ?? message.actorId;
        const oneRoom = room.type === 1 || query.conversation !== undefined;
        return {
          thumbnailUrl: message.actorType === 'users' ? `${ctx.baseUrl()}/index.php/avatar/${encodeURIComponent(message.actorId)}/64` : '',
          title: oneRoom ? author : `${author} in ${roomDisplayName(state, room, user.id)}`,
          subline: renderMessage(message),
          resourceUrl: `${ctx.baseUrl()}/index.php/call/${room.token}#message_${message.id}`,
          icon: 'icon-talk',
          rounded: true,
          attributes: attributes({ conversation: room.token, messageId: String(message.id), actorType: message.actorType, actorId: message.actorId, timestamp: String(message.timestamp) }),
        };
      }),
      cursor: offset + limit,
    };
  };

  const searchConversations = (user: SimUser, term: string) => ({
    name: 'Conversations',
    isPaginated: false,
    entries: state.talk.rooms
      .filter((room) => participantOf(room, user.id) && roomDisplayName(state, room, user.id).toLowerCase().includes(term.toLowerCase()))
      .map((room) => ({
        thumbnailUrl: '',
        title: roomDisplayName(state, room, user.id),
        subline: '',
        resourceUrl: `${ctx.baseUrl()}/index.php/call/${room.token}`,
        icon: 'icon-talk',
        rounded: true,
        attributes: attributes({ conversation: room.token }),
      })),
    cursor: null,
  });

  const searchDav = async (user: SimUser, kind: 'files' | 'calendar', query: z.infer<typeof searchQuery>, limit: number) => {
    const params = new URLSearchParams({ term: query.term, limit: String(limit), cursor: String(query.cursor ?? 0) });
    const response = await fetch(`${ctx.dav.origin}/_sim/search/${kind}?${params}`, {
      headers: { 'x-sim-user': user.id, 'x-sim-token': ctx.dav.token, 'x-sim-public-url': ctx.baseUrl() },
    });
    if (!response.ok) throw new Error(`DAV backend search failed with ${response.status}`);
    const result = davResult.parse(await response.json());
    return { name: kind === 'files' ? 'Files' : 'Events', ...result };
  };

  for (const base of BASES) {
    app.get(`${base}/search/providers`, async (request, reply) => {
      if (!requireOcsUser(request, reply)) return reply;
      return sendOcs(request, reply, { data: providers, headers: { etag: '"sim-providers-1"' } });
    });

    app.get<{ Params: { providerId: string } }>(`${base}/search/providers/:providerId/search`, async (request, reply) => {
      const user = requireOcsUser(request, reply);
      if (!user) return reply;
      const query = searchQuery.safeParse(request.query);
      if (!query.success) return sendOcs(request, reply, { status: 400, message: 'Invalid search parameters' });
      // Newer servers clamp the page size to 1..25.
      const limit = Math.max(1, Math.min(query.data.limit, 25));
      const providerId = request.params.providerId;
      switch (providerId) {
        case 'talk-message':
          return sendOcs(request, reply, { data: searchTalkMessages(user, query.data, limit) });
        case 'talk-conversations':
          return sendOcs(request, reply, { data: searchConversations(user, query.data.term) });
        case 'files':
        case 'calendar':
          try {
            return sendOcs(request, reply, { data: await searchDav(user, providerId, query.data, limit) });
          } catch (error) {
            return sendOcs(request, reply, { status: 500, statuscode: 996, message: (error as Error).message });
          }
        default:
          // An unknown provider id surfaces as a server error in Nextcloud's SearchComposer.
          return sendOcs(request, reply, { status: 500, statuscode: 996, message: `Provider ${providerId} is unknown` });
      }
    });
  }
}
