// The MCP endpoint (Streamable HTTP). Authentication runs first on every method; then each POST is served by
// a fresh stateless server and transport answering in JSON, which works through Nextcloud's buffering PHP proxy.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { FastifyInstance } from 'fastify';
import { corsHeaders, corsPreflight } from '../http/cors.js';
import { z } from 'zod';
import type { Nextcloud } from '../../lib/index.js';
import { isNextcloudError } from '../../lib/index.js';
import type { AppConfig } from '../config.js';
import type { McpIdentity } from '../oauth/bearer.js';
import { authenticateMcpRequest } from '../oauth/bearer.js';
import type { OAuthContext } from '../oauth/context.js';

export interface McpDeps {
  config: AppConfig;
  nextcloud: Nextcloud;
  oauth: OAuthContext;
}

/** One server per request: its tools close over the verified identity and nothing else. */
export function buildMcpServer({ config, nextcloud }: McpDeps, identity: McpIdentity): McpServer {
  const server = new McpServer({ name: config.appDisplayName, version: config.appVersion });
  server.registerTool(
    'whoami',
    {
      title: 'Who am I',
      description: 'Shows which Nextcloud account this connection acts as, and what it may do.',
      inputSchema: {},
      outputSchema: { userId: z.string(), displayName: z.string(), scopes: z.array(z.string()), clientId: z.string() },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async () => {
      try {
        const me = await nextcloud.as(identity.userId).currentUser();
        const result = { userId: me.id, displayName: me.displayName, scopes: identity.scopes, clientId: identity.clientId };
        return { content: [{ type: 'text', text: JSON.stringify(result) }], structuredContent: result };
      } catch (error) {
        if (!isNextcloudError(error)) throw error;
        return { isError: true, content: [{ type: 'text', text: error.message }] };
      }
    },
  );
  return server;
}

export async function mcpRoutes(app: FastifyInstance, deps: McpDeps): Promise<void> {
  corsPreflight(app, ['/mcp']);
  app.route({
    method: ['GET', 'POST', 'DELETE'],
    url: '/mcp',
    config: { cors: true },
    handler: async (request, reply) => {
      const identity = await authenticateMcpRequest(deps.oauth, request, reply);
      if (!identity) return reply;
      if (request.method !== 'POST') {
        // Stateless: no standalone stream and no session to end (the spec allows 405 for both).
        return reply.code(405).header('allow', 'POST').send({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed: this server is stateless; send requests with POST.' }, id: null });
      }
      const server = buildMcpServer(deps, identity);
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      reply.hijack();
      // Fastify's hooks do not run for a hijacked reply: the headers they would add are written here.
      reply.raw.setHeader('cache-control', 'no-store');
      for (const [name, value] of Object.entries(corsHeaders)) reply.raw.setHeader(name, value);
      reply.raw.on('close', () => {
        void transport.close();
        void server.close();
      });
      try {
        await server.connect(transport);
        // The SDK reads the identity from request.auth; tools get it as extra.authInfo.
        Object.assign(request.raw, { auth: { token: '', clientId: identity.clientId, scopes: identity.scopes, expiresAt: identity.expiresAt, extra: { userId: identity.userId } } });
        await transport.handleRequest(request.raw, reply.raw, request.body);
      } catch (error) {
        request.log.error({ err: error }, 'MCP request failed');
        if (!reply.raw.headersSent) reply.raw.writeHead(500, { 'content-type': 'application/json' });
        reply.raw.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32603, message: 'Internal error; see the app log.' }, id: null }));
      }
      return reply;
    },
  });
}
