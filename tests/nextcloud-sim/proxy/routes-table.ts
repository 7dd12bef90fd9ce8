// Route matching of both proxies. The PHP proxy (AppAPI's ExAppProxyController) matches in one of three ways
// depending on the AppAPI release (appapi/generations.ts); HaRP always uses Python's re.match (anchored at the
// start, case-sensitive) against the path with its leading slash, and ignores verbs.
//
// PHP's preg_* and JS RegExp agree on the patterns ExApp manifests use (anchors, groups, alternation, classes,
// escaped slashes and dots). What differs is emulated explicitly: the pattern delimiter (an unescaped delimiter
// inside the url ends the pattern, PHP warns and preg_match returns false), and Python's named-group syntax.
import type { AppApiGeneration } from '../appapi/generations.js';
import { appApiGeneration } from '../appapi/generations.js';
import type { ExAppRoute } from '../context.js';

const LATEST = appApiGeneration();

/**
 * The regex PHP compiles for `$delimiter . $body . $delimiter . $flags`, or undefined where preg_match would
 * return false: the body holds an unescaped delimiter (the pattern ends there and what follows is read as unknown
 * modifiers), or the body does not compile.
 */
export function phpRegex(body: string, delimiter: string, flags: string): RegExp | undefined {
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '\\') i++;
    else if (body[i] === delimiter) return undefined;
  }
  return compile(body, flags);
}

/** The pattern a release builds from a route url. */
function phpRouteRegex(url: string, generation: AppApiGeneration): RegExp | undefined {
  if (generation.phpProxy.matching === 'slash-delimited-bare-path') return phpRegex(url, '/', 'i');
  return phpRegex(`^(?:${url.replaceAll('~', '\\~')})`, '~', 'i');
}

/** True where the route's url matches the request path (no query, no leading slash) in that release. */
export function phpRouteMatchesPath(url: string, path: string, generation: AppApiGeneration = LATEST): boolean {
  const regex = phpRouteRegex(url, generation);
  if (!regex) return false;
  if (generation.phpProxy.matching === 'anchored-leading-slash') return regex.test(`/${path}`) || regex.test(path);
  return regex.test(path);
}

export interface PhpRouteOptions {
  generation?: AppApiGeneration;
  /** The access check of ExAppProxyController (PUBLIC, USER with a user, ADMIN for admins). Default: passes. */
  passesAccess?: (route: ExAppRoute) => boolean;
}

/**
 * The route the PHP proxy uses for `path` (the part after /proxy/<appid>/, without leading slash) and `method`,
 * or undefined for Nextcloud's 404. `method` is the request's own method: HEAD reaches the GET action but fails
 * the verb check unless a route lists HEAD.
 */
export function matchPhpProxyRoute(
  routes: ExAppRoute[],
  path: string,
  method: string,
  options: PhpRouteOptions = {},
): ExAppRoute | undefined {
  const generation = options.generation ?? LATEST;
  const passes = options.passesAccess ?? (() => true);
  const verbMatches = (route: ExAppRoute) => route.verb.toLowerCase().includes(method.toLowerCase());
  for (const route of routes) {
    if (!phpRouteMatchesPath(route.url, path, generation) || !verbMatches(route)) continue;
    if (generation.phpProxy.firstMatchDecides) return passes(route) ? route : undefined;
    if (passes(route)) return route;
  }
  return undefined;
}

/** HaRP (haproxy_agent.py): the first route whose url re.match()es the target path decides; invalid regexes are skipped. */
export function matchHarpRoute(routes: ExAppRoute[], targetPath: string): ExAppRoute | undefined {
  return routes.find((route) => compile(`^(?:${pythonToJs(route.url)})`, '')?.test(targetPath));
}

function pythonToJs(source: string): string {
  return source.replaceAll('(?P<', '(?<').replace(/\(\?P=(\w+)\)/g, '\\k<$1>');
}

function compile(source: string, flags: string): RegExp | undefined {
  try {
    return new RegExp(source, flags);
  } catch {
    return undefined;
  }
}

/** Both proxies refuse `..` segments, plain or percent-encoded (%2e, %2f). */
export function hasDotDotSegment(rawPath: string): boolean {
  let decoded = rawPath;
  for (let i = 0; i < 3; i++) {
    try {
      const next = decodeURIComponent(decoded);
      if (next === decoded) break;
      decoded = next;
    } catch {
      break;
    }
  }
  return decoded.split(/[/\\]/).some((segment) => segment === '..');
}
