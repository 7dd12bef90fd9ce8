// Unified search filters as SearchComposer::buildFilterList builds them from the request parameters (NC 28+):
// unknown names are ignored, a known exclusive filter the provider does not support is a 400, values are parsed
// by type and some bad values are 400s (InvalidArgumentException) while others surface as server errors.
import type { SimGroup, SimState, SimUser } from '../context.js';

export type FilterType = 'string' | 'strings' | 'datetime' | 'person' | 'int' | 'float' | 'bool';

export interface FilterDefinition {
  name: string;
  type: FilterType;
  /** Exclusive filters must be supported by the provider; the others may be ignored by it. */
  exclusive: boolean;
}

/** SearchComposer's common filters. */
const COMMON_FILTERS: FilterDefinition[] = [
  { name: 'term', type: 'string', exclusive: true },
  { name: 'since', type: 'datetime', exclusive: true },
  { name: 'until', type: 'datetime', exclusive: true },
  { name: 'title-only', type: 'bool', exclusive: false },
  { name: 'person', type: 'person', exclusive: true },
  { name: 'places', type: 'strings', exclusive: false },
  { name: 'provider', type: 'string', exclusive: false },
];

export type FilterValue =
  | { kind: 'string'; value: string }
  | { kind: 'strings'; value: string[] }
  | { kind: 'datetime'; value: Date }
  | { kind: 'int' | 'float'; value: number }
  | { kind: 'bool'; value: boolean }
  | { kind: 'user'; value: SimUser }
  | { kind: 'group'; value: SimGroup };

export interface ParsedFilters {
  values: Map<string, FilterValue>;
  /** The accepted filters as sent, for backends that take them as query parameters. */
  raw: Record<string, string>;
}

export type FilterOutcome = { ok: true; filters: ParsedFilters } | { ok: false; status: 400 | 500; message: string };

/** What the composer knows about a provider; an unknown provider behaves like one that supports only `term`. */
export interface FilterCapabilities {
  id: string;
  supportedFilters: string[];
  customFilters: FilterDefinition[];
}

export function definitionOf(name: string, provider: FilterCapabilities | undefined): FilterDefinition | undefined {
  return (
    COMMON_FILTERS.find((definition) => definition.name === name) ?? provider?.customFilters.find((definition) => definition.name === name)
  );
}

export function buildFilters(
  state: SimState,
  providerId: string,
  provider: FilterCapabilities | undefined,
  params: Record<string, string>,
): FilterOutcome {
  const supported = provider?.supportedFilters ?? ['term'];
  const filters: ParsedFilters = { values: new Map(), raw: {} };
  for (const [name, raw] of Object.entries(params)) {
    const definition = definitionOf(name, provider);
    if (!definition) continue;
    if (definition.exclusive && !supported.includes(name)) {
      return { ok: false, status: 400, message: `Provider ${providerId} doesn’t support filter ${name}.` };
    }
    const parsed = parseValue(state, definition.type, raw);
    if ('error' in parsed) return { ok: false, ...parsed.error };
    filters.values.set(name, parsed.value);
    filters.raw[name] = raw;
  }
  return { ok: true, filters };
}

type Parsed = { value: FilterValue } | { error: { status: 400 | 500; message: string } };

function parseValue(state: SimState, type: FilterType, raw: string): Parsed {
  switch (type) {
    case 'string':
      return { value: { kind: 'string', value: raw } };
    case 'strings':
      return { value: { kind: 'strings', value: [raw] } };
    case 'bool': {
      if (['true', 'yes', 'y', '1'].includes(raw)) return { value: { kind: 'bool', value: true } };
      if (['false', 'no', 'n', '0', ''].includes(raw)) return { value: { kind: 'bool', value: false } };
      return { error: { status: 400, message: `Invalid boolean value ${raw}` } };
    }
    case 'int':
      return /^[+-]?\d+$/.test(raw.trim())
        ? { value: { kind: 'int', value: Number(raw) } }
        : { error: { status: 400, message: `Invalid integer value ${raw}` } };
    case 'float':
      return Number.isFinite(Number(raw)) && raw.trim() !== ''
        ? { value: { kind: 'float', value: Number(raw) } }
        : { error: { status: 400, message: `Invalid float value ${raw}` } };
    case 'datetime':
      return parseDateTime(raw);
    case 'person':
      return parsePerson(state, raw);
  }
}

/** Unix seconds or a date string; PHP's DateTimeImmutable throws a plain Exception (a server error) on garbage. */
function parseDateTime(raw: string): Parsed {
  const time = /^-?\d+$/.test(raw.trim()) ? Number(raw) * 1000 : Date.parse(raw);
  if (Number.isNaN(time)) return { error: { status: 500, message: `Failed to parse time string (${raw})` } };
  return { value: { kind: 'datetime', value: new Date(time) } };
}

/** `nc-user_{uid}` / `nc-group_{gid}`; a value without `_` is a user id; any other prefix is an invalid filter type. */
function parsePerson(state: SimState, raw: string): Parsed {
  const separator = raw.indexOf('_');
  const [type, id] = separator === -1 ? ['nc-user', raw] : [raw.slice(0, separator), raw.slice(separator + 1)];
  if (type === 'nc-user') {
    const user = state.users.get(id);
    return user ? { value: { kind: 'user', value: user } } : { error: { status: 400, message: `User ${id} not found` } };
  }
  if (type === 'nc-group') {
    const group = state.groups.get(id);
    return group ? { value: { kind: 'group', value: group } } : { error: { status: 400, message: `Group ${id} not found` } };
  }
  return { error: { status: 500, message: `Invalid filter type ${type}` } };
}
