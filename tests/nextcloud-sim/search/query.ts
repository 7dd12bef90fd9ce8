// One provider search request after the controller has done its part (ISearchQuery).
import type { SimUser } from '../context.js';
import type { ParsedFilters } from './filters.js';
import type { ResolvedRoute } from './providers.js';
import type { SearchResultBody } from './result.js';

export interface ProviderQuery {
  user: SimUser;
  term: string;
  /** Already clamped to 1..25. */
  limit: number;
  /** Exactly as the client sent it; providers cast it themselves. */
  cursor: string | undefined;
  filters: ParsedFilters;
  route: ResolvedRoute;
}

export type ProviderSearch = (query: ProviderQuery) => Promise<SearchResultBody>;
