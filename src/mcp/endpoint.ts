// The MCP endpoints: Streamable HTTP at /mcp, serving the 2026-07-28 revision (stateless, per-request envelope)
// next to the 2025 revisions (sessions), and the legacy HTTP+SSE pair /sse + /messages. Every route declares the
// same gates (gates.ts): the token, checked for the resource of the entrance and URL the client called, then the
// Origin, then whether the grant covers the tools a POST calls, then the body. Only then does a transport see the
// message.
//
// Nothing is held open behind Nextcloud's PHP proxy, which buffers whole responses: there every answer is one
// JSON body, and the standalone GET stream and the legacy SSE stream are refused.
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler } from '@modelcontextprotocol/server';
import type { FastifyInstance } from 'fastify';
import type { Nextcloud } from '../../lib/index.js';
import { withSingleTimeout } from '../../lib/index.js';
import type { AppConfig } from '../config.js';
import { corsPreflight } from '../http/cors.js';
import type { BearerCheck } from '../oauth/bearer.js';
import type { AuditStore } from '../store/audit.js';
import type { Tool } from '../tools/tool.js';
import { lenientBodies } from './body.js';
import { InFlight } from './exchanges.js';
import { mcpGates } from './gates.js';
import { legacySseRoutes } from './legacy-sse.js';
import { confirmationTokens } from './confirmation.js';
import { createMcpServer } from './server.js';
import { userApps } from './user-apps.js';
import type { SessionClock } from './sessions.js';
import { SessionRegistry } from './sessions.js';
import { KEEP_ALIVE_MS, streamableRoute } from './streamable.js';

export interface McpDeps extends BearerCheck {
  config: AppConfig;
  nextcloud: Nextcloud;
  audit: AuditStore;
  tools: readonly Tool[];
  /** The sessions' clock and sweep timer; the process's by default. */
  sessionClock?: SessionClock;
}

export async function mcpRoutes(app: FastifyInstance, deps: McpDeps): Promise<void> {
  const { config, endpoints } = deps;
  const sessions = new SessionRegistry(
    config.sessions,
    (session, reason) => app.log.info({ session: session.kind, reason }, 'MCP session ended'),
    deps.sessionClock,
  );
  const inFlight = new InFlight();
  // One of each for every server of the app: a plan confirmed in one exchange runs in the next.
  const confirmations = confirmationTokens();
  const apps = userApps(deps.nextcloud);

  const newServer = () =>
    createMcpServer({
      name: config.appDisplayName,
      version: config.appVersion,
      nextcloud: deps.nextcloud,
      tools: deps.tools,
      audit: deps.audit,
      log: app.log,
      confirmations,
      userApps: apps,
    });
  const reportError = (error: Error) => app.log.warn({ err: error.message }, 'MCP request failed');
  // One 2026-07-28 handler per answer mode: JSON only behind the PHP proxy; JSON that turns into an event stream
  // when a call reports progress where streaming works.
  const stateless = {
    json: createMcpHandler(newServer, { legacy: 'reject', responseMode: 'json', onerror: reportError }),
    streaming: createMcpHandler(newServer, {
      legacy: 'reject',
      responseMode: 'auto',
      keepAliveMs: KEEP_ALIVE_MS,
      maxSubscriptions: config.sessions.max,
      onerror: reportError,
    }),
  };

  // Before the server waits for open connections to end: open streams and running calls would keep it waiting.
  app.addHook('preClose', async () => {
    inFlight.answerAll('The app is stopping; retry in a moment.');
    await Promise.all([sessions.closeAll(), stateless.json.close(), stateless.streaming.close()]);
  });

  corsPreflight(app, ['/mcp', '/sse', '/messages']);
  // Each MCP request waits for an unreachable Nextcloud at most once: after the policy, the account check or a tool's
  // first call timed out, its later Nextcloud calls fail at once with a message instead of each waiting again.
  app.addHook('onRequest', (_request, _reply, done) => withSingleTimeout(done));
  lenientBodies(app);

  const gates = mcpGates(app, { ...deps, tools: new Map(deps.tools.map((tool) => [tool.name, tool])) });
  streamableRoute(app, {
    gates,
    sessions,
    inFlight,
    newServer,
    stateless: { json: toNodeHandler(stateless.json), streaming: toNodeHandler(stateless.streaming) },
  });
  legacySseRoutes(app, { gates, sessions, endpoints, newServer });
}
