// Nextcloud's unified search OCS API (core UnifiedSearchController, NC 28+): the provider list and one provider's
// page of results. Files and events come from the PHP DAV backend, Talk results from the Talk state.
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { SimContext } from './context.js';
import { ocsVersionOf, requireOcsUser, sendOcs } from './ocs.js';
import { phpInt, phpParams } from './php-params.js';
import { createDavSearch } from './search/dav-providers.js';
import { buildFilters } from './search/filters.js';
import { findProvider, listProviders, resolveFrom } from './search/providers.js';
import type { ProviderSearch } from './search/query.js';
import { createTalkConversationSearch, createTalkMessageSearch } from './search/talk-providers.js';

const OCS_BASES = ['/ocs/v2.php', '/ocs/v1.php'];
/** SearchQuery::LIMIT_DEFAULT and the controller's clamp on newer servers. */
const DEFAULT_LIMIT = 5;
const MAX_LIMIT = 25;

const providersQuery = z.object({ from: z.string().default('') });
const searchQuery = z.object({
  term: z.string().default(''),
  limit: phpInt(DEFAULT_LIMIT),
  cursor: z.string().optional(),
  from: z.string().default(''),
});

export function registerSearchRoutes(app: FastifyInstance, ctx: SimContext): void {
  const searches: Record<string, ProviderSearch> = {
    files: createDavSearch(ctx, 'files'),
    calendar: createDavSearch(ctx, 'calendar'),
    'talk-conversations': createTalkConversationSearch(ctx),
    'talk-message': createTalkMessageSearch(ctx),
  };

  for (const base of OCS_BASES) {
    app.get(`${base}/search/providers`, async (request, reply) => {
      if (!requireOcsUser(request, reply)) return reply;
      const { from } = providersQuery.parse(phpParams(request.query));
      const providers = listProviders(resolveFrom(from));
      const etag = createHash('md5').update(JSON.stringify(providers)).digest('hex');
      return sendOcs(request, reply, { data: providers, headers: { ETag: `"${etag}"` } });
    });

    app.get<{ Params: { providerId: string } }>(`${base}/search/providers/:providerId/search`, async (request, reply) => {
      const user = requireOcsUser(request, reply);
      if (!user) return reply;
      const { providerId } = request.params;
      const params = phpParams(request.query);
      const query = searchQuery.parse(params);
      const provider = findProvider(providerId);
      // Filters are built before the provider is looked up, so an unknown provider can still fail with a 400 first.
      const built = buildFilters(ctx.state, providerId, provider, params);
      if (!built.ok) {
        return built.status === 400
          ? sendOcs(request, reply, { status: 400, message: '', data: built.message })
          : serverError(request, reply, built.message);
      }
      if (built.filters.values.size === 0) return sendOcs(request, reply, { status: 400, message: '', data: 'No valid filters provided' });
      const search = provider && searches[provider.id];
      // SearchComposer::search throws InvalidArgumentException, which nothing catches: a server error.
      if (!search) return serverError(request, reply, `Provider ${providerId} is unknown`);
      try {
        const result = await search({
          user,
          term: query.term,
          limit: Math.max(1, Math.min(query.limit, MAX_LIMIT)),
          cursor: query.cursor,
          filters: built.filters,
          route: resolveFrom(query.from),
        });
        return sendOcs(request, reply, { data: result });
      } catch (error) {
        return serverError(request, reply, (error as Error).message);
      }
    });
  }
}

/**
 * An uncaught exception in an OCS route: ocs/v1.php answers OCS 996, which v2 maps to HTTP 500 and reports as
 * statuscode 500. (Nextcloud appends the exception text only in debug mode; the simulator always does.)
 */
function serverError(request: FastifyRequest, reply: FastifyReply, detail: string): FastifyReply {
  const statuscode = ocsVersionOf(request) === 1 ? 996 : 500;
  return sendOcs(request, reply, { status: 500, statuscode, message: `Internal Server Error\n${detail}` });
}
