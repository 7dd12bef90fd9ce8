// Reads an ExApp manifest the way AppAPI 35 does (ExAppService::getAppInfo + ExAppRouteHelper): from
// info.xml or --json-info; XML access levels must be names, JSON ones ints (or names); invalid routes abort.
import { XMLParser } from 'fast-xml-parser';
import { z } from 'zod';
import type { AccessLevel, ExAppRoute } from '../context.js';

export class ManifestError extends Error {}

export interface Manifest {
  id: string;
  name: string;
  version: string;
  secret?: string;
  port?: number;
  routes: ExAppRoute[];
  environmentVariables: { name: string; default: string }[];
}

const levelNames: Record<string, AccessLevel> = { PUBLIC: 0, USER: 1, ADMIN: 2 };

function accessLevel(value: unknown, index: number): AccessLevel {
  if (typeof value === 'number' && (value === 0 || value === 1 || value === 2)) return value;
  if (typeof value === 'string' && value.toUpperCase() in levelNames) return levelNames[value.toUpperCase()]!;
  throw new ManifestError(`Route #${index + 1}: access_level must be PUBLIC, USER or ADMIN (or 0, 1, 2 in JSON), got ${JSON.stringify(value)}`);
}

function jsonList<T>(value: unknown, schema: z.ZodType<T>, field: string, index: number): T[] {
  if (value === undefined || value === '' || value === null) return [];
  let parsed: unknown = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new ManifestError(`Route #${index + 1}: ${field} must be a JSON list, got ${value}`);
    }
  }
  const result = z.array(schema).safeParse(parsed);
  if (!result.success) throw new ManifestError(`Route #${index + 1}: ${field} must be a JSON list of ${field === 'bruteforce_protection' ? 'status codes' : 'header names'}`);
  return result.data;
}

function toRoute(raw: Record<string, unknown>, index: number): ExAppRoute {
  const url = raw.url;
  if (typeof url !== 'string' || !url) throw new ManifestError(`Route #${index + 1}: url is required`);
  try {
    new RegExp(url);
  } catch {
    throw new ManifestError(`Route #${index + 1}: url ${url} is not a valid regular expression`);
  }
  return {
    url,
    verb: String(raw.verb ?? 'GET'),
    access_level: accessLevel(raw.access_level, index),
    headers_to_exclude: jsonList(raw.headers_to_exclude, z.string(), 'headers_to_exclude', index).map((name) => name.toLowerCase()),
    bruteforce_protection: jsonList(raw.bruteforce_protection, z.number().int(), 'bruteforce_protection', index),
  };
}

function asList(value: unknown): Record<string, unknown>[] {
  if (value === undefined || value === '') return [];
  return (Array.isArray(value) ? value : [value]) as Record<string, unknown>[];
}

export function parseInfoXml(xml: string): Manifest {
  const parser = new XMLParser({ ignoreAttributes: true, parseTagValue: false, trimValues: true });
  const info = (parser.parse(xml) as { info?: Record<string, unknown> }).info;
  if (!info) throw new ManifestError('info.xml has no <info> root element');
  const external = (info['external-app'] ?? {}) as Record<string, unknown>;
  const routes = asList((external.routes as Record<string, unknown> | undefined)?.route).map(toRoute);
  const variables = asList((external['environment-variables'] as Record<string, unknown> | undefined)?.variable).map((variable) => ({
    name: String(variable.name ?? ''),
    default: String(variable.default ?? ''),
  }));
  return requireBasics({ id: String(info.id ?? ''), name: String(info.name ?? ''), version: String(info.version ?? ''), routes, environmentVariables: variables });
}

export function parseJsonInfo(json: string, fallbackId: string): Manifest {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(json) as Record<string, unknown>;
  } catch {
    throw new ManifestError('--json-info is not valid JSON');
  }
  const external = (raw['external-app'] ?? {}) as Record<string, unknown>;
  const routes = asList(raw.routes ?? external.routes).map(toRoute);
  return requireBasics({
    id: String(raw.id ?? raw.appid ?? fallbackId),
    name: String(raw.name ?? ''),
    version: String(raw.version ?? ''),
    secret: typeof raw.secret === 'string' ? raw.secret : undefined,
    port: typeof raw.port === 'number' ? raw.port : raw.port !== undefined ? Number(raw.port) : undefined,
    routes,
    environmentVariables: [],
  });
}

function requireBasics(manifest: Manifest): Manifest {
  for (const field of ['id', 'name', 'version'] as const) {
    if (!manifest[field]) throw new ManifestError(`The manifest needs a non-empty ${field}`);
  }
  return manifest;
}
