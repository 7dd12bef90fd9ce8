// The files and calendar providers: the PHP DAV backend owns files and events, so it answers the search over its
// internal JSON endpoint and this module wraps the answer into the unified search result.
import { z } from 'zod';
import type { SimContext } from '../context.js';
import type { ProviderQuery } from './query.js';
import { attributes } from './result.js';
import type { SearchResultBody } from './result.js';

const backendEntry = z.object({
  thumbnailUrl: z.string().default(''),
  title: z.string(),
  subline: z.string().default(''),
  resourceUrl: z.string().default(''),
  icon: z.string().default(''),
  rounded: z.boolean().default(false),
  // PHP sends [] for an empty map.
  attributes: z.union([z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])), z.array(z.never()).length(0)]).default([]),
});

const backendResult = z.object({
  entries: z.array(backendEntry),
  cursor: z.union([z.number(), z.string(), z.null()]),
  isPaginated: z.boolean(),
});

const RESULT_NAMES = { files: 'Files', calendar: 'Events' } as const;

export class DavSearchError extends Error {}

export function createDavSearch(ctx: SimContext, kind: 'files' | 'calendar') {
  return async (query: ProviderQuery): Promise<SearchResultBody> => {
    const params = new URLSearchParams({ ...query.filters.raw, term: query.term, limit: String(query.limit) });
    if (query.cursor !== undefined) params.set('cursor', query.cursor);
    let response: Response;
    try {
      response = await fetch(`${ctx.dav.origin}/_sim/search/${kind}?${params}`, {
        headers: { 'X-Sim-User': query.user.id, 'X-Sim-Token': ctx.dav.token, 'X-Sim-Public-Url': ctx.baseUrl() },
      });
    } catch (error) {
      throw new DavSearchError(`DAV backend unreachable: ${(error as Error).message}`);
    }
    if (!response.ok) throw new DavSearchError(`DAV backend search answered ${response.status}`);
    const parsed = backendResult.safeParse(await response.json().catch(() => undefined));
    if (!parsed.success) throw new DavSearchError('DAV backend search answered an unexpected shape');
    return {
      name: RESULT_NAMES[kind],
      isPaginated: parsed.data.isPaginated,
      entries: parsed.data.entries.map((entry) => ({
        ...entry,
        attributes: attributes(Array.isArray(entry.attributes) ? {} : entry.attributes),
      })),
      cursor: parsed.data.cursor,
    };
  };
}
