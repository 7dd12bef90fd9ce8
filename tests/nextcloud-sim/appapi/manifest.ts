// Reads an ExApp manifest the way a given AppAPI release does (ExAppService::getAppInfo, then ExAppMapper /
// ExAppRouteHelper), from info.xml or --json-info. Without a release: AppAPI 35.
//
// 35 (ExAppRouteHelper, ExAppEnvVarsHelper): routes are validated and an invalid one aborts registration; XML
//   access levels must be names, JSON ones ints (or names); list fields are JSON lists (also as XML text).
// <= 34: XML access levels are mapped by exact name, anything else yields a null route whose database insert
//   fails (see Manifest.routeInsertFailure); JSON values are stored as given; `headers_to_exclude` from XML is
//   stored as []; an empty <default> stays an empty array (passed to containers as "Array").
import { XMLParser } from 'fast-xml-parser';
import type { AccessLevel, ExAppRoute } from '../context.js';
import type { AppApiGeneration } from './generations.js';
import { appApiGeneration } from './generations.js';

export class ManifestError extends Error {}

export interface EnvironmentVariable {
  name: string;
  displayName: string;
  description: string;
  /** The default as a string; '' when the element is empty or missing. */
  default: string;
  /**
   * How the manifest gave the default: a value; an empty element (`<default></default>`, `<default/>`, a JSON
   * array or object), which AppAPI < 35 passes on as the string "Array"; or no default at all.
   */
  defaultElement: 'value' | 'empty' | 'missing';
}

export interface Manifest {
  id: string;
  name: string;
  version: string;
  secret?: string;
  port?: number;
  routes: ExAppRoute[];
  environmentVariables: EnvironmentVariable[];
  /** Which input the manifest came from (AppAPI treats them differently before 35). */
  source?: 'info.xml' | 'json-info';
  /**
   * AppAPI <= 34 only: the reason the insert of a route fails (a null route from an unknown XML access level, a
   * missing url or verb, a JSON access level that is no number). `routes` then holds the routes stored before
   * it; registering crashes there (ExAppService::registerExApp calls getRoutes() on null), leaving the app row.
   */
  routeInsertFailure?: string;
  /** AppAPI <= 34 with --json-info: `external-app.environment-variables` as given (used unprocessed). */
  rawEnvironment?: unknown;
}

const levelNames: Record<string, AccessLevel> = { PUBLIC: 0, USER: 1, ADMIN: 2 };

function describe(value: unknown): string {
  if (typeof value === 'string') return `'${value}' (string)`;
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value === 'number' ? (Number.isInteger(value) ? 'int' : 'float') : typeof value === 'object' ? 'array' : typeof value;
}

/** ExAppRouteHelper::decodeListOrNull (35): null for unset/empty, a list, or an error. */
function strictList(raw: unknown, ident: string, field: string): unknown[] {
  if (raw === undefined || raw === null || raw === '' || (Array.isArray(raw) && raw.length === 0)) return [];
  if (Array.isArray(raw)) return raw;
  if (typeof raw === 'object') {
    throw new ManifestError(
      `${ident}: '${field}' must be a JSON array (list), got an associative object with keys ${JSON.stringify(Object.keys(raw as object))} — use a JSON-encoded array body in info.xml (e.g. '[401,429]')`,
    );
  }
  if (typeof raw === 'string') {
    let decoded: unknown;
    try {
      decoded = JSON.parse(raw);
    } catch {
      decoded = undefined;
    }
    if (!Array.isArray(decoded)) throw new ManifestError(`${ident}: '${field}' must be a JSON array, got string '${raw}'`);
    return decoded;
  }
  throw new ManifestError(`${ident}: '${field}' must be an array (or a JSON-encoded array string), got ${describe(raw)}`);
}

/** AppAPI 35: ExAppRouteHelper::normalizeRoute. */
function strictRoute(raw: unknown, index: number): ExAppRoute {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw new ManifestError(`route #${index}: entry must be an object, got ${describe(raw)}`);
  const route = raw as Record<string, unknown>;
  const url = route.url;
  if (typeof url !== 'string' || url.trim() === '')
    throw new ManifestError(`route #${index}: 'url' must be a non-empty string, got ${describe(url)}`);
  const ident = `route '${url}'`;
  const verb = route.verb;
  if (typeof verb !== 'string' || verb.trim() === '')
    throw new ManifestError(`${ident}: 'verb' must be a non-empty string (e.g. 'GET' or 'GET,POST'), got ${describe(verb)}`);
  const level = route.access_level;
  let access: AccessLevel;
  if (typeof level === 'string') {
    if (!(level in levelNames)) throw new ManifestError(`${ident}: invalid 'access_level' '${level}' (allowed: PUBLIC, USER, ADMIN)`);
    access = levelNames[level]!;
  } else if (typeof level === 'number' && Number.isInteger(level)) {
    if (level !== 0 && level !== 1 && level !== 2)
      throw new ManifestError(`${ident}: invalid 'access_level' ${level} (allowed: 0=PUBLIC, 1=USER, 2=ADMIN)`);
    access = level;
  } else {
    throw new ManifestError(`${ident}: 'access_level' is required and must be one of PUBLIC|USER|ADMIN (or 0|1|2), got ${describe(level)}`);
  }
  const bruteforce = strictList(route.bruteforce_protection, ident, 'bruteforce_protection').map((value, i) => {
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      throw new ManifestError(
        `${ident}: 'bruteforce_protection' must contain only integers (e.g. HTTP status codes), entry at index ${i} is ${describe(value)}`,
      );
    }
    return value;
  });
  const excluded = strictList(route.headers_to_exclude, ident, 'headers_to_exclude').map((value, i) => {
    if (typeof value !== 'string')
      throw new ManifestError(
        `${ident}: 'headers_to_exclude' must contain only strings (header names), entry at index ${i} is ${describe(value)}`,
      );
    return value.toLowerCase();
  });
  return { url, verb, access_level: access, headers_to_exclude: excluded, bruteforce_protection: bruteforce };
}

/** json_decode($text) of a list field, kept only when it decodes to a list (<= 34). */
function lenientList(raw: unknown): unknown[] {
  if (Array.isArray(raw)) return raw;
  if (typeof raw !== 'string') return [];
  try {
    const decoded: unknown = JSON.parse(raw);
    return Array.isArray(decoded) ? decoded : [];
  } catch {
    return [];
  }
}

type LegacyRoute = { route: ExAppRoute } | { failure: string };

/**
 * AppAPI <= 34: getAppInfo maps XML access levels by exact name (mapExAppRouteAccessLevelNameToNumber, a
 * string parameter: a missing or empty element is a TypeError that aborts before anything is stored);
 * ExAppMapper::registerExAppRoutes then inserts each route: a null route, or a NULL url/verb/access level, or a
 * level the integer column rejects, fails the insert.
 */
function legacyRoute(raw: Record<string, unknown> | null, fromXml: boolean, index: number): LegacyRoute {
  if (raw === null) return { failure: `route #${index}: invalid access level, the route is null and its insert fails (url NOT NULL)` };
  const { url, verb } = raw;
  if (typeof url !== 'string' || url === '') return { failure: `route #${index}: no url (column url is NOT NULL)` };
  if (typeof verb !== 'string' || verb === '') return { failure: `route '${url}': no verb (column verb is NOT NULL)` };
  let access: number;
  const level = raw.access_level;
  if (fromXml) {
    access = level as number; // already mapped by getAppInfo
  } else if (typeof level === 'number' && Number.isInteger(level)) {
    access = level;
  } else if (typeof level === 'string' && /^-?\d+$/.test(level.trim())) {
    access = Number(level.trim()); // the integer column casts a numeric string
  } else {
    return {
      failure: `route '${url}': access_level ${JSON.stringify(level ?? null)} is not an integer (column access_level is an integer, NOT NULL)`,
    };
  }
  return {
    route: {
      url,
      verb,
      // 0, 1, 2 as intended; any other integer is stored too and never passes an access check.
      access_level: access as AccessLevel,
      headers_to_exclude: Array.isArray(raw.headers_to_exclude)
        ? raw.headers_to_exclude.filter((name): name is string => typeof name === 'string').map((name) => name.toLowerCase())
        : [],
      bruteforce_protection: lenientList(raw.bruteforce_protection).filter((status): status is number => typeof status === 'number'),
    },
  };
}

function asList(value: unknown): unknown[] {
  if (value === undefined || value === '' || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

function parseRoutes(
  rawRoutes: unknown[],
  fromXml: boolean,
  generation: AppApiGeneration,
): Pick<Manifest, 'routes' | 'routeInsertFailure'> {
  if (generation.manifest.strictRouteValidation) return { routes: rawRoutes.map((route, index) => strictRoute(route, index)) };
  const prepared = rawRoutes.map((raw, index) => {
    const route = (raw && typeof raw === 'object' ? { ...(raw as Record<string, unknown>) } : {}) as Record<string, unknown>;
    if (!fromXml) return route;
    const level = route.access_level;
    if (typeof level !== 'string' || level === '') {
      throw new ManifestError(
        `ExAppService::mapExAppRouteAccessLevelNameToNumber(): Argument #1 ($accessLevel) must be of type string, ${level === undefined ? 'null' : 'array'} given (route #${index})`,
      );
    }
    // Exact names only: "user" or "0" map to -1, and the array_map callback returns nothing for them.
    if (!(level in levelNames)) return null;
    route.access_level = levelNames[level];
    // An XML body is a string: kept only if it is an array, so <headers_to_exclude>["x"]</headers_to_exclude> is lost.
    if (!generation.manifest.headersToExcludeFromXml) route.headers_to_exclude = [];
    return route;
  });
  const routes: ExAppRoute[] = [];
  for (const [index, raw] of prepared.entries()) {
    const result = legacyRoute(raw, fromXml, index);
    if ('failure' in result) return { routes, routeInsertFailure: result.failure };
    routes.push(result.route);
  }
  return { routes };
}

function scalarString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? '1' : '';
  return undefined;
}

function parseVariables(raw: unknown, strict: boolean): EnvironmentVariable[] {
  return asList(raw).map((entry, index) => {
    if (!entry || typeof entry !== 'object' || Array.isArray(entry)) {
      if (strict) throw new ManifestError(`variable #${index}: entry must be an object, got ${describe(entry)}`);
      return { name: '', displayName: '', description: '', default: '', defaultElement: 'missing' as const };
    }
    const variable = entry as Record<string, unknown>;
    if (strict && (typeof variable.name !== 'string' || variable.name.trim() === '')) {
      throw new ManifestError(`variable #${index}: 'name' must be a non-empty string, got ${describe(variable.name)}`);
    }
    const given = variable.default;
    const text = scalarString(given);
    const defaultElement = given === undefined || given === null ? 'missing' : text === undefined || given === '' ? 'empty' : 'value';
    return {
      name: scalarString(variable.name) ?? '',
      displayName: scalarString(variable['display-name']) ?? '',
      description: scalarString(variable.description) ?? '',
      default: defaultElement === 'value' ? text! : '',
      defaultElement,
    };
  });
}

export function parseInfoXml(xml: string, generation: AppApiGeneration = appApiGeneration()): Manifest {
  const parser = new XMLParser({ ignoreAttributes: true, parseTagValue: false, trimValues: true });
  const info = (parser.parse(xml) as { info?: Record<string, unknown> }).info;
  if (!info) throw new ManifestError('info.xml has no <info> root element');
  const external = (info['external-app'] && typeof info['external-app'] === 'object' ? info['external-app'] : {}) as Record<
    string,
    unknown
  >;
  const rawRoutes = asList((external.routes as Record<string, unknown> | undefined)?.route);
  const environment = external['environment-variables'] as Record<string, unknown> | undefined;
  return requireBasics({
    id: String(info.id ?? ''),
    name: String(info.name ?? ''),
    version: String(info.version ?? ''),
    ...parseRoutes(rawRoutes, true, generation),
    environmentVariables: parseVariables(environment?.variable, generation.manifest.strictRouteValidation),
    source: 'info.xml',
  });
}

export function parseJsonInfo(json: string, fallbackId: string, generation: AppApiGeneration = appApiGeneration()): Manifest {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(json) as Record<string, unknown>;
  } catch {
    throw new ManifestError('Invalid app info provided in JSON format');
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new ManifestError('Invalid app info provided in JSON format');
  const external = (raw['external-app'] && typeof raw['external-app'] === 'object' ? raw['external-app'] : {}) as Record<string, unknown>;
  const rawRoutes = asList(raw.routes ?? external.routes);
  // The root keys AppAPI moves into external-app; environment-variables only from 35 on.
  const fromJson = generation.manifest.environmentVariablesFromJsonInfo;
  const environment = (fromJson ? (raw['environment-variables'] ?? external['environment-variables']) : undefined) as
    Record<string, unknown> | undefined;
  return requireBasics({
    id: String(raw.id ?? raw.appid ?? fallbackId),
    name: String(raw.name ?? ''),
    version: String(raw.version ?? ''),
    secret: typeof raw.secret === 'string' ? raw.secret : undefined,
    port: typeof raw.port === 'number' ? raw.port : raw.port !== undefined ? Number(raw.port) : undefined,
    ...parseRoutes(rawRoutes, false, generation),
    environmentVariables: fromJson ? parseVariables(environment?.variable, true) : [],
    source: 'json-info',
    rawEnvironment: fromJson ? undefined : external['environment-variables'],
  });
}

function requireBasics(manifest: Manifest): Manifest {
  for (const field of ['id', 'name', 'version'] as const) {
    if (!manifest[field]) throw new ManifestError(`The manifest needs a non-empty ${field}`);
  }
  return manifest;
}
