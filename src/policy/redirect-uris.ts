// Where the admin lets clients send a person back to after consent. One entry is one of:
//   `loopback`                               any port and path on http://127.0.0.1, http://[::1], http://localhost
//   `https://claude.ai/api/mcp/auth_callback` exactly this URI
//   `https://chatgpt.com/connector/oauth/*`  this prefix followed by plain path segments (no query, no dot segments)
//   `chatgpt.com`                             any https URI on this host (the older, wider form)
// Only an exact entry vouches for a URI by itself: an error may be sent there without anyone having consented.
import { z } from 'zod';
import { isLoopbackHttp } from '../core/loopback.js';

export type RedirectRule =
  { kind: 'loopback' } | { kind: 'exact'; uri: string } | { kind: 'prefix'; prefix: string } | { kind: 'host'; host: string };

/** The callbacks ChatGPT and Claude use (contract: mcp-oauth-clients §0.6), and desktop clients on loopback. */
export const DEFAULT_REDIRECT_URIS = [
  'https://chatgpt.com/connector/oauth/*',
  'https://chatgpt.com/connector_platform_oauth_redirect',
  'https://claude.ai/api/mcp/auth_callback',
  'https://claude.com/api/mcp/auth_callback',
  'loopback',
] as const;

/** What the host-only setting held by default before it named URIs; a setting equal to it means "the default". */
export const FORMER_DEFAULT_REDIRECT_HOSTS = ['chatgpt.com', 'claude.ai', 'claude.com', 'loopback'] as const;

const HOST = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/;
/** What may follow a prefix: path segments of unreserved characters, none of them `.` or `..`. */
const PREFIX_TAIL = /^(?!\.\.?(\/|$))[A-Za-z0-9._~-]+(\/(?!\.\.?(\/|$))[A-Za-z0-9._~-]+)*$/;

function entryProblem(uri: string, allowHttpLoopback: boolean): string | null {
  if (!URL.canParse(uri)) return `${uri} is not an absolute URL`;
  const url = new URL(uri);
  if (url.hash || uri.includes('#')) return `${uri} has a fragment; redirect URIs may not`;
  if (url.username || url.password) return `${uri} carries credentials`;
  if (url.protocol === 'https:' && !url.port) return null;
  if (allowHttpLoopback && isLoopbackHttp(url)) return null;
  return url.protocol === 'https:'
    ? `${uri} names a port; only loopback redirect URIs may`
    : `${uri} is neither https nor a loopback address (http://127.0.0.1, http://[::1], http://localhost)`;
}

/** One admin entry as a rule, or the reason it is not one. */
export function parseRedirectRule(entry: string): RedirectRule | string {
  const value = entry.trim();
  if (value.toLowerCase() === 'loopback') return { kind: 'loopback' };
  if (HOST.test(value.toLowerCase())) return { kind: 'host', host: value.toLowerCase() };
  if (value.endsWith('*')) {
    const prefix = value.slice(0, -1);
    const problem = entryProblem(prefix, false);
    if (problem) return problem;
    // The host must be fixed by the prefix: "https://chatgpt.com*" would also match chatgpt.com.evil.example.
    if (!prefix.endsWith('/') || prefix.includes('?') || prefix.includes('*')) return `${value}: a prefix ends with "/*" and has no query`;
    return { kind: 'prefix', prefix };
  }
  const problem = entryProblem(value, false);
  return problem ?? { kind: 'exact', uri: value };
}

export const redirectRulesSchema = z.array(z.string()).transform((entries, context): RedirectRule[] => {
  const rules: RedirectRule[] = [];
  for (const entry of entries) {
    const rule = parseRedirectRule(entry);
    if (typeof rule === 'string')
      context.addIssue({ code: 'custom', message: `${rule} (entries are URIs, URI prefixes ending in /*, host names, or loopback)` });
    else rules.push(rule);
  }
  return rules;
});

export function formatRedirectRule(rule: RedirectRule): string {
  switch (rule.kind) {
    case 'loopback':
      return 'loopback';
    case 'exact':
      return rule.uri;
    case 'prefix':
      return `${rule.prefix}*`;
    case 'host':
      return rule.host;
  }
}

export type RedirectVerdict = { ok: true; rule: RedirectRule } | { ok: false; problem: string };

/** Which of the admin's rules admits this redirect URI (the first that does), or why none does. */
export function checkRedirectUri(uri: string, rules: readonly RedirectRule[]): RedirectVerdict {
  const problem = entryProblem(uri, true);
  if (problem) return { ok: false, problem };
  const url = new URL(uri);
  const loopback = isLoopbackHttp(url);
  for (const rule of rules) {
    if (rule.kind === 'loopback' && loopback) return { ok: true, rule };
    if (rule.kind === 'exact' && rule.uri === uri) return { ok: true, rule };
    if (rule.kind === 'prefix' && uri.startsWith(rule.prefix) && PREFIX_TAIL.test(uri.slice(rule.prefix.length))) return { ok: true, rule };
    if (rule.kind === 'host' && !loopback && url.hostname === rule.host) return { ok: true, rule };
  }
  if (loopback) return { ok: false, problem: 'loopback redirect URIs are not allowed by the administrator' };
  return {
    ok: false,
    problem: `the administrator does not allow redirects to ${uri.slice(0, 200)} (allowed: ${rules.map(formatRedirectRule).join(', ')})`,
  };
}
