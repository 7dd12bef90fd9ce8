// Loopback addresses as URL host names: where plain http is acceptable (RFC 8252 §7.3 for redirect URIs, and
// local identity providers in development), because the traffic never leaves the machine.
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** Whether a URL's host is a loopback address, whatever its scheme. */
export function isLoopbackHost(url: URL): boolean {
  return LOOPBACK_HOSTS.has(url.hostname);
}

/** An http:// URL on a loopback host. */
export function isLoopbackHttp(url: URL): boolean {
  return url.protocol === 'http:' && isLoopbackHost(url);
}
