// Origin validation for the MCP endpoints (DNS-rebinding protection, contract §2.1). Hosted clients (ChatGPT's
// and Claude's backends) send no Origin and pass; a browser may call from Nextcloud's own origin, from loopback
// (the MCP Inspector runs on localhost) or from an origin the operator listed.
import { isLoopbackHost } from '../core/loopback.js';

export function isAllowedOrigin(origin: string, publicUrls: readonly string[], extra: readonly string[]): boolean {
  if (extra.includes('*')) return true;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false;
  }
  if (parsed.origin !== origin.replace(/\/$/, '')) return false;
  if ((parsed.protocol === 'http:' || parsed.protocol === 'https:') && isLoopbackHost(parsed)) return true;
  return publicUrls.some((url) => new URL(url).origin === parsed.origin) || extra.includes(parsed.origin);
}
