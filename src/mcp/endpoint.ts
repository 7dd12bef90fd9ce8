// The MCP endpoints: Streamable HTTP at /mcp and the legacy HTTP+SSE pair /sse + /messages. On every request the
// token is checked first, then the Origin, then (for a tools/call) whether the grant covers the tool, answering
// 403 insufficient_scope so the client can step up. Only then does a session's transport see the message.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Nextcloud } from '../../lib/index.js';
import type { AppConfig } from '../config.js';
import { corsHeaders, corsPreflight } from '../http/cors.js';
import type { McpIdentity } from '../oauth/bearer.js';
import { authenticateMcpRequest, requireScopes } from '../oauth/bearer.js';
import type { OAuthContext } from '../oauth/context.js';
import type { PublicEndpoints } from '../oauth/urls.js';
import { nextcloudWebRoot } from '../oauth/urls.js';
import type { AuditStore } from '../store/audit.js';
import type { Tool } from '../tools/tool.js';
import { scopesToRequest, toolAllowed } from '../tools/tool.js';
import { isAllowedOrigin } from './origin.js';
import type { RequestGrant } from './server.js';
import { createMcpServer } from './server.js';
import type { Session } from './sessions.js';
import { SessionRegistry, sessionOwner } from './sessions.js';

export interface McpDeps {
  config: AppConfig;
  nextcloud: Nextcloud;
  oauth: OAuthContext;
  audit: AuditStore;
  tools: readonly Tool[];
}

const UNPARSABLE = Symbol('unparsable body');

/** JSON-RPC error bodies for HTTP-level refusals (the id is unknown at this point). */
function rpcError(reply: FastifyReply, status: number, code: number, message: string): FastifyReply {
  return reply.code(status).send({ jsonrpc: '2.0', error: { code, message }, id: null });
}

/** The tool a tools/call message names, if the body is one. */
function calledTool(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const message = body as { method?: unknown; params?: { name?: unknown } };
  return message.method === 'tools/call' && typeof message.params?.name === 'string' ? message.params.name : undefined;
}

export async function mcpRoutes(app: FastifyInstance, deps: McpDeps): Promise<void> {
  const { config, oauth } = deps;
  const tools = new Map(deps.tools.map((tool) => [tool.name, tool]));
  const sessions = new SessionRegistry(config.sessions, (session, reason) => app.log.info({ session: session.kind, reason }, 'MCP session ended'));
  // Before the server waits for open connections to end: open streams would otherwise keep it waiting.
  app.addHook('preClose', () => sessions.closeAll());

  const newServer = () => createMcpServer({ name: config.appDisplayName, version: config.appVersion, nextcloud: deps.nextcloud, tools: deps.tools, audit: deps.audit, log: app.log });

  /**
   * Everything checked before a message reaches a transport. Returns the grant for the SDK's authInfo, or null
   * after answering.
   */
  const admit = async (request: FastifyRequest, reply: FastifyReply): Promise<{ identity: McpIdentity; auth: AuthInfo; urls: PublicEndpoints } | null> => {
    const authenticated = await authenticateMcpRequest(oauth, request, reply);
    if (!authenticated) return null;
    const { identity, policy, urls } = authenticated;
    const origin = request.headers.origin;
    if (origin !== undefined && !isAllowedOrigin(origin, urls.acceptedIssuers, config.allowedOrigins)) {
      request.log.warn({ origin }, 'MCP request from a browser origin that is not allowed');
      rpcError(reply, 403, -32000, `Origin ${origin} is not allowed to call this MCP server.`);
      return null;
    }
    const toolName = request.method === 'POST' ? calledTool(request.body) : undefined;
    const tool = toolName === undefined ? undefined : tools.get(toolName);
    if (tool && !toolAllowed(tool, identity.scopes)) {
      const needed = scopesToRequest(tool, policy.enabledScopes);
      // A scope the admin turned off cannot be consented to: the tool does not exist for this client at all.
      if (needed.length > 0) {
        deps.audit.record({ at: Date.now(), userId: identity.userId, clientId: identity.clientId, tool: tool.name, target: null, outcome: 'refused', errorCode: 'insufficient_scope', durationMs: 0 });
        await requireScopes(oauth, identity, needed, reply);
        return null;
      }
    }
    const grant: RequestGrant = { identity, policy, webRoot: nextcloudWebRoot(urls.base, config.appId) };
    return { identity, urls, auth: { token: '', clientId: identity.clientId, scopes: identity.scopes, expiresAt: identity.expiresAt, extra: { grant } } };
  };

  /** Hands the raw request to a transport. Fastify's hooks do not run for a hijacked reply, so its headers are written here. */
  const takeOver = (request: FastifyRequest, reply: FastifyReply, auth: AuthInfo): { req: IncomingMessage & { auth?: AuthInfo }; res: ServerResponse } => {
    reply.hijack();
    reply.raw.setHeader('cache-control', 'no-store');
    // Asks nginx (in front of Nextcloud) not to hold back event streams.
    reply.raw.setHeader('x-accel-buffering', 'no');
    for (const [name, value] of Object.entries(corsHeaders)) reply.raw.setHeader(name, value);
    const req = Object.assign(request.raw, { auth });
    return { req, res: reply.raw };
  };

  const failed = (request: FastifyRequest, res: ServerResponse, error: unknown) => {
    request.log.error({ err: error }, 'MCP request failed');
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32603, message: 'Internal error; see the app log.' }, id: null }));
  };

  const sessionNotFound = (reply: FastifyReply) => rpcError(reply, 404, -32001, 'Session not found: it ended or never existed. Initialize a new session.');

  corsPreflight(app, ['/mcp', '/sse', '/messages']);

  // Bodies are parsed without failing, so a client with a bad token gets the 401 that starts its OAuth flow, not
  // a parse error; after authentication a bad body gets the JSON-RPC parse error, a wrong type the SDK's 415.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(null, UNPARSABLE);
    }
  });
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  const unparsable = (request: FastifyRequest, reply: FastifyReply) => request.body === UNPARSABLE && (rpcError(reply, 400, -32700, 'Parse error: the body is not valid JSON.'), true);

  app.route({
    method: ['GET', 'POST', 'DELETE'],
    url: '/mcp',
    config: { cors: true },
    handler: async (request, reply) => {
      const admitted = await admit(request, reply);
      if (!admitted || unparsable(request, reply)) return reply;
      const owner = sessionOwner(admitted.identity.userId, admitted.identity.clientId);
      const sessionId = request.headers['mcp-session-id'];
      if (typeof sessionId === 'string') {
        const session = sessions.get(sessionId, owner, 'streamable');
        if (!session) return sessionNotFound(reply);
        if (request.method === 'GET' && config.responseMode === 'json') {
          // A standalone stream would hold a Nextcloud PHP worker for as long as the session lives.
          return rpcError(reply.header('allow', 'POST, DELETE'), 405, -32000, 'This deployment answers in JSON and offers no standalone event stream.');
        }
        const { req, res } = takeOver(request, reply, admitted.auth);
        await (session.transport as StreamableHTTPServerTransport).handleRequest(req, res, request.body).catch((error: unknown) => failed(request, res, error));
        return reply;
      }
      if (request.method !== 'POST') return rpcError(reply, 400, -32000, 'Bad request: send the Mcp-Session-Id header the server returned at initialize.');

      const server = newServer();
      let transport: StreamableHTTPServerTransport;
      if (isInitializeRequest(request.body)) {
        transport = new StreamableHTTPServerTransport({
          sessionIdGenerator: randomUUID,
          enableJsonResponse: config.responseMode === 'json',
          keepAliveMs: 5000,
          onsessioninitialized: (id) => sessions.add({ id, kind: 'streamable', owner, transport, server, lastSeen: Date.now() }),
          onsessionclosed: (id) => sessions.forget(id),
        });
      } else {
        // A message outside any session is answered on its own, the way the stateless protocol revision works; the
        // server and transport live only for this request.
        transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: config.responseMode === 'json' });
        reply.raw.on('close', () => void server.close());
      }
      const { req, res } = takeOver(request, reply, admitted.auth);
      try {
        await server.connect(transport);
        await transport.handleRequest(req, res, request.body);
      } catch (error) {
        failed(request, res, error);
      }
      return reply;
    },
  });

  app.get('/sse', { config: { cors: true } }, async (request, reply) => {
    const admitted = await admit(request, reply);
    if (!admitted) return reply;
    const { urls } = admitted;
    // The endpoint event must name the public path (the proxy's prefix included), not the app's own /messages.
    const transport = new SSEServerTransport(`${new URL(urls.base).pathname}/messages`, reply.raw);
    const server = newServer();
    const session: Session = { id: transport.sessionId, kind: 'sse', owner: sessionOwner(admitted.identity.userId, admitted.identity.clientId), transport, server, lastSeen: Date.now() };
    const { res } = takeOver(request, reply, admitted.auth);
    // Proxies close streams that stay silent; a comment line every 15 s keeps this one open.
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    res.on('close', () => {
      clearInterval(keepAlive);
      sessions.forget(session.id);
      void server.close();
    });
    try {
      await server.connect(transport);
      sessions.add(session);
    } catch (error) {
      failed(request, res, error);
    }
    return reply;
  });

  app.post('/messages', { config: { cors: true } }, async (request, reply) => {
    const admitted = await admit(request, reply);
    if (!admitted || unparsable(request, reply)) return reply;
    const sessionId = (request.query as { sessionId?: unknown }).sessionId;
    const session = typeof sessionId === 'string' ? sessions.get(sessionId, sessionOwner(admitted.identity.userId, admitted.identity.clientId), 'sse') : undefined;
    if (!session) return sessionNotFound(reply);
    const { req, res } = takeOver(request, reply, admitted.auth);
    await (session.transport as SSEServerTransport).handlePostMessage(req, res, request.body).catch((error: unknown) => failed(request, res, error));
    return reply;
  });
}
