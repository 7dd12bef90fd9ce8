// RFC 9112 §3.2: a request whose Host is not a valid host[:port] gets 400. The MCP SDK builds the request URL from
// Host (http://<host><path>); one it cannot parse, or one with user info, made those routes fail with a 500.

/** host[:port] as RFC 3986 writes an authority without user info: a reg-name or IPv4 address, or an IP literal. */
const AUTHORITY = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]+)(?::[0-9]*)?$/;

/**
 * Whether a Host header can stand in a URL. No Host (HTTP/1.0; Node refuses it missing in HTTP/1.1) and an empty
 * one (allowed for targets without an authority) pass: nothing builds a URL from those.
 */
export function isValidHost(host: string | undefined): boolean {
  if (host === undefined || host === '') return true;
  return AUTHORITY.test(host) && URL.canParse(`http://${host}/`);
}
