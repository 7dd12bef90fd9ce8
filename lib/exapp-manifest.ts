// An ExApp's appinfo/info.xml, read as AppAPI registers it: the app's id, name and version, and the routes its
// proxies let through, in the JSON form `occ app_api:app:register --json-info` takes (access levels as integers:
// 0 PUBLIC, 1 USER, 2 ADMIN). A route AppAPI would refuse is refused here, naming it.
import { XMLParser } from 'fast-xml-parser';
import { z } from 'zod';
import { issueText } from './zod-issues.js';

const ACCESS_LEVELS = { PUBLIC: 0, USER: 1, ADMIN: 2 } as const;

/** A list element of info.xml: absent, one value, or several. */
const listOf = <T extends z.ZodType>(item: T) =>
  z.preprocess((value) => (value === undefined || value === '' ? [] : Array.isArray(value) ? value : [value]), z.array(item));

/** An element that holds a list (<routes><route>...</route></routes>), absent or empty as an empty list. */
const listIn = <T extends z.ZodType>(key: string, item: T) =>
  z.preprocess(
    (value) =>
      value === undefined || value === ''
        ? []
        : typeof value === 'object' && value !== null
          ? (value as Record<string, unknown>)[key]
          : value,
    listOf(item),
  );

const routeSchema = z.object({
  url: z.string().trim().min(1, 'a route needs a url'),
  verb: z.string().trim().min(1, 'a route needs a verb, e.g. GET or GET,POST'),
  access_level: z
    .enum(['PUBLIC', 'USER', 'ADMIN'], { error: 'access_level is PUBLIC, USER or ADMIN' })
    .transform((level) => ACCESS_LEVELS[level]),
  headers_to_exclude: listIn(
    'header',
    z.string().transform((name) => name.toLowerCase()),
  ),
  bruteforce_protection: listIn('status', z.number().int()),
});

const infoSchema = z.object({
  info: z.object({
    id: z.string().min(1),
    name: z.union([z.string(), z.array(z.string())]).transform((name) => (Array.isArray(name) ? name[0]! : name)),
    version: z.string().min(1),
    'external-app': z.object({ routes: listIn('route', routeSchema) }),
  }),
});

export type ExAppRoute = z.output<typeof routeSchema>;

export interface ExAppManifest {
  id: string;
  name: string;
  version: string;
  routes: ExAppRoute[];
}

export class ExAppManifestError extends Error {}

export function readExAppManifest(xml: string): ExAppManifest {
  // Values stay text (a version like 1.10 is no number); only a bruteforce status is read as a number.
  const parsed: unknown = new XMLParser({
    ignoreAttributes: true,
    parseTagValue: false,
    isArray: () => false,
    tagValueProcessor: (name, value) => (name === 'status' ? Number(value) : value),
  }).parse(xml);
  const result = infoSchema.safeParse(parsed);
  if (!result.success) {
    throw new ExAppManifestError(`appinfo/info.xml: ${issueText(result.error.issues[0]!)}`);
  }
  const { info } = result.data;
  return { id: info.id, name: info.name, version: info.version, routes: info['external-app'].routes };
}
