// Nextcloud's unified search: the providers the user can query, and one provider's page of results.
import { z } from 'zod';
import { wellFormed } from './errors.js';
import type { HttpClient } from './http.js';
import { ocsRequest, phpMap } from './ocs.js';

const providerSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  order: z.number().optional(),
  appId: z.string().optional(),
  filters: phpMap(z.string()).optional(),
});
export type SearchProvider = z.infer<typeof providerSchema>;

const entrySchema = z.object({
  title: z.string(),
  subline: z.string().default(''),
  resourceUrl: z.string().default(''),
  thumbnailUrl: z.string().default(''),
  icon: z.string().default(''),
  rounded: z.boolean().default(false),
  attributes: phpMap(z.coerce.string()).default({}),
});
export type SearchEntry = z.infer<typeof entrySchema>;

const resultSchema = z.object({
  name: z.string(),
  isPaginated: z.boolean(),
  entries: z.array(entrySchema),
  cursor: z.union([z.number(), z.string(), z.null()]).default(null),
});
export type SearchResult = z.infer<typeof resultSchema>;

export interface SearchQuery {
  term: string;
  limit?: number;
  /** The cursor of the previous page, unchanged. */
  cursor?: number | string | null;
  /** Provider filters such as since, until, person, conversation, mime, path. */
  filters?: Record<string, string | number | boolean>;
}

export async function searchProviders(http: HttpClient): Promise<SearchProvider[]> {
  return (await ocsRequest(http, 'GET', '/ocs/v2.php/search/providers', z.array(providerSchema))).data;
}

export async function search(http: HttpClient, providerId: string, query: SearchQuery): Promise<SearchResult> {
  wellFormed(providerId, 'The search provider id');
  wellFormed(query.term, 'The search term');
  const { data } = await ocsRequest(http, 'GET', `/ocs/v2.php/search/providers/${encodeURIComponent(providerId)}/search`, resultSchema, {
    query: { term: query.term, limit: query.limit, cursor: query.cursor ?? undefined, ...query.filters },
  });
  return data;
}
