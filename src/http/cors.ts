// CORS for the endpoints browser-based MCP clients (the MCP Inspector's web UI) call from another origin:
// discovery, registration, token, revocation and the MCP endpoint itself. Credentials travel in the
// Authorization header, never in cookies, so any origin may call them. Pages a person navigates to (authorize,
// connected apps) get none of this. Preflights (OPTIONS) reach the app only behind HaRP: Nextcloud's PHP proxy
// routes GET, POST, PUT and DELETE only.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Answer cross-origin requests from browser-based clients. */
    cors?: boolean;
  }
}

const ALLOWED_HEADERS = 'Authorization, Content-Type, Mcp-Session-Id, MCP-Protocol-Version, Last-Event-ID';
const EXPOSED_HEADERS = 'WWW-Authenticate, Mcp-Session-Id';

/** Headers for a response to a cross-origin caller; also written by routes that take over the raw response. */
export const corsHeaders = { 'access-control-allow-origin': '*', 'access-control-expose-headers': EXPOSED_HEADERS } as const;

export const cors = fp(
  (app: FastifyInstance, _options, done) => {
    app.addHook('onSend', async (request, reply, payload) => {
      if (request.routeOptions.config?.cors) reply.headers(corsHeaders);
      return payload;
    });
    done();
  },
  { name: 'cors' },
);

/** Registers the preflight answer for each path. */
export function corsPreflight(app: FastifyInstance, paths: readonly string[]): void {
  for (const path of paths) {
    app.options(path, { config: { cors: true } }, async (_request, reply) =>
      reply
        .code(204)
        .header('access-control-allow-methods', 'GET, POST, DELETE, OPTIONS')
        .header('access-control-allow-headers', ALLOWED_HEADERS)
        .header('access-control-max-age', '600')
        .send(),
    );
  }
}
