// How long the HTTP server waits for a client, and for what. Only receiving a request (its headers, then its
// body) is bounded: a caller that announces a body and stalls, or opens a connection and sends nothing, must not
// hold a socket forever. The response side is never bounded here: a tool call may run a minute or more before its
// first byte (behind the PHP proxy nothing flows until the answer), and event streams (/sse, the standalone GET
// /mcp stream, progress) stay open by design.
import type { FastifyServerOptions } from 'fastify';

export interface ServerTimeouts {
  /** From the first byte of a request until its headers are complete. */
  headersMs: number;
  /**
   * From the first byte of a request until its body is complete. Node checks this only while the request is being
   * received: once the body is in, the connection leaves its list, however long the answer takes.
   */
  requestMs: number;
  /** An idle keep-alive connection between two requests. */
  keepAliveMs: number;
  /** How often Node looks for connections past those limits: the slack on top of them. */
  checkIntervalMs: number;
}

export const DEFAULT_SERVER_TIMEOUTS: ServerTimeouts = {
  // Proxies (Nextcloud's PHP proxy, HaRP) send a request's headers in one go: only a stalled caller ever needs 20 s.
  headersMs: 20_000,
  // The largest body the app takes is 4 MB (a file written through MCP). HaRP passes a client's upload through as it
  // arrives, so a slow uplink must fit: 4 MB at 1 Mbit/s takes about 32 s.
  requestMs: 60_000,
  // Above the 60 s idle timeout common to load balancers and proxies, so the peer closes a reused connection first
  // and never sends a request into one the app is closing (Fastify's own default, kept deliberately).
  keepAliveMs: 72_000,
  checkIntervalMs: 5_000,
};

/** The Fastify constructor options that apply the timeouts to the Node HTTP server it creates. */
export function serverTimeoutOptions(overrides: Partial<ServerTimeouts> = {}): Pick<
  FastifyServerOptions,
  'requestTimeout' | 'keepAliveTimeout' | 'connectionTimeout'
> & {
  http: { headersTimeout: number; requestTimeout: number; connectionsCheckingInterval: number };
} {
  const timeouts = { ...DEFAULT_SERVER_TIMEOUTS, ...overrides };
  if (timeouts.headersMs > timeouts.requestMs)
    throw new RangeError('The headers timeout cannot exceed the request timeout, which includes the headers.');
  return {
    requestTimeout: timeouts.requestMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    // No socket inactivity timeout: a long tool call answered in JSON sends nothing until it is done, and an event
    // stream may stay quiet between keep-alive comments longer than any useful idle limit.
    connectionTimeout: 0,
    // Node reads these when the server is created; Fastify sets requestTimeout only after that.
    http: { headersTimeout: timeouts.headersMs, requestTimeout: timeouts.requestMs, connectionsCheckingInterval: timeouts.checkIntervalMs },
  };
}
