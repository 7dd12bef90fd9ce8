// Route matching of both proxies. PHP proxy (AppAPI >= 32.0.10): `~^(?:url)~i` against '/'.path, first route
// matching path and verb wins, bare-path fallback. HaRP: Python re.match (anchored, case-sensitive), no verb.
import type { ExAppRoute } from '../context.js';

export function matchPhpProxyRoute(routes: ExAppRoute[], path: string, method: string): ExAppRoute | undefined {
  const verbMatches = (route: ExAppRoute) => route.verb.toLowerCase().includes(method.toLowerCase());
  const find = (subject: string) =>
    routes.find((route) => verbMatches(route) && safeRegExp(`^(?:${route.url})`, 'i')?.test(subject));
  return find(`/${path}`) ?? find(path);
}

export function matchHarpRoute(routes: ExAppRoute[], targetPath: string): ExAppRoute | undefined {
  return routes.find((route) => safeRegExp(`^(?:${route.url})`, '')?.test(targetPath));
}

function safeRegExp(source: string, flags: string): RegExp | undefined {
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
