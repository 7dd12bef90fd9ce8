// The unified search result shapes (CoreUnifiedSearchResult / SearchResultEntry, contract 5.2).

export interface SearchEntry {
  thumbnailUrl: string;
  title: string;
  subline: string;
  resourceUrl: string;
  icon: string;
  rounded: boolean;
  /** String values only; PHP renders the empty map as []. */
  attributes: Record<string, string> | [];
}

export interface SearchResultBody {
  name: string;
  isPaginated: boolean;
  entries: SearchEntry[];
  cursor: number | string | null;
}

/** SearchResultEntry::addAttribute stores strings; an entry without attributes serialises them as []. */
export function attributes(values: Record<string, unknown>): Record<string, string> | [] {
  const strings = Object.fromEntries(Object.entries(values).map(([key, value]) => [key, String(value)]));
  return Object.keys(strings).length ? strings : [];
}

/** SearchResult::complete: everything there is, no further pages. */
export function completeResult(name: string, entries: SearchEntry[]): SearchResultBody {
  return { name, isPaginated: false, entries, cursor: null };
}

/** SearchResult::paginated */
export function paginatedResult(name: string, entries: SearchEntry[], cursor: number | string): SearchResultBody {
  return { name, isPaginated: true, entries, cursor };
}
