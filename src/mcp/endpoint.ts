// The MCP endpoints: Streamable HTTP at /mcp, serving the 2026-07-28 revision (stateless, per-request envelope)
// next to the 2025 revisions (sessions), and the legacy HTTP+SSE pair /sse + /messages. On every request the
// token is checked first (for the resource of the entrance and URL the client called), then the Origin, then
// (for tools/call, alone or in a batch) whether the grant covers the tool, answering 403 insufficient_scope so the
// client can step up. Only then does a transport see the message.
//
// Nothing is held open behind Nextcloud's PHP proxy, which buffers whole responses: there every answer is one
// JSON body, and the standalone GET stream and the legacy SSE stream are refused.
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { NodeStreamableHTTPServerTransport, toNodeHandler } from '@modelcontextprotocol/node';
import type { AuthInfo } from '@modelcontextprotocol/server';
import { classifyInboundRequest, createMcpHandler, isInitializeRequest } from '@modelcontextprotocol/server';
import { SSEServerTransport } from '@modelcontextprotocol/server-legacy/sse';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Nextcloud } from '../../lib/index.js';
import { withSingleTimeout } from '../../lib/index.js';
import type { AppConfig } from '../config.js';
import { corsHeaders, corsPreflight } from '../http/cors.js';
import type { BearerCheck, McpIdentity } from '../oauth/bearer.js';
import { authenticateMcpRequest, requireScopes } from '../oauth/bearer.js';
import type { Scope } from '../core/scopes.js';
import type { McpPath, PublicEndpoints } from '../http/urls.js';
import { nextcloudWebRoot } from '../http/urls.js';
import type { AuditStore } from '../store/audit.js';
import type { Tool } from '../tools/tool.js';
import { scopesToRequest, toolAllowed } from '../tools/tool.js';
import { isAllowedOrigin } from './origin.js';
import type { RequestGrant } from './server.js';
import { createMcpServer } from './server.js';
import type { PendingExchange, Session } from './sessions.js';
import { SessionRegistry, answerAbandoned, requestIds, rpcMessages, sessionOwner } from './sessions.js';

export interface McpDeps extends BearerCheck {
  config: AppConfig;
  nextcloud: Nextcloud;
  audit: AuditStore;
  tools: readonly Tool[];
}

/** A request past the bearer gate: who it acts for, the grant as the SDK's authInfo, and the entrance's URLs. */
interface Admitted {
  identity: McpIdentity;
  auth: AuthInfo;
  urls: PublicEndpoints;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the bearer gate of the MCP routes; null elsewhere. */
    admitted: Admitted | null;
  }
}

const UNPARSABLE = Symbol('unparsable body');
/** Far beyond any JSON-RPC message; deep enough nesting would overflow the stack of whatever walks the value next. */
const MAX_JSON_DEPTH = 64;

/** Whether arrays and objects nest deeper than `max` levels, found without recursion. */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth >= max) return true;
    for (const child of Object.values(current))
      if (child !== null && typeof child === 'object') stack.push({ value: child, depth: depth + 1 });
  }
  return false;
}

/** A header as a web Request would give it: repeated values joined, as Headers.get() joins them. */
function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * Whether a POST to /mcp is 2025 traffic (sessions) rather than 2026-07-28: the SDK's
 * `isLegacyRequest(toWebRequest(request, body), body)`, decided from the only things it reads (the parsed body and
 * the MCP-Protocol-Version, Mcp-Method and Mcp-Name headers) without building a web Request and serialising the
 * body again for it. A POST without a body is the SDK's "no JSON body", which it leaves to the 2025 transport.
 */
export function isLegacyPost(headers: IncomingHttpHeaders, body: unknown): boolean {
  if (body === undefined) return true;
  const outcome = classifyInboundRequest({
    httpMethod: 'POST',
    protocolVersionHeader: headerValue(headers['mcp-protocol-version']),
    mcpMethodHeader: headerValue(headers['mcp-method']),
    mcpNameHeader: headerValue(headers['mcp-name']),
    body,
  });
  return outcome.kind === 'legacy';
}

/** JSON-RPC error bodies for HTTP-level refusals (the id is unknown at this point). */
function rpcError(reply: FastifyReply, status: number, code: number, message: string): FastifyReply {
  return reply.code(status).send({ jsonrpc: '2.0', error: { code, message }, id: null });
}

/** The tools the tools/call messages of a body (alone or in a batch) name. */
function calledTools(body: unknown): string[] {
  return rpcMessages(body).flatMap((message) =>
    message.method === 'tools/call' && typeof message.params?.name === 'string' ? [message.params.name] : [],
  );
}

export async function mcpRoutes(app: FastifyInstance, deps: McpDeps): Promise<void> {
  const { config, endpoints } = deps;
  const tools = new Map(deps.tools.map((tool) => [tool.name, tool]));
  const sessions = new SessionRegistry(config.sessions, (session, reason) =>
    app.log.info({ session: session.kind, reason }, 'MCP session ended'),
  );
  /** Every exchange handed to a transport and not answered yet, so none is left without an answer at shutdown. */
  const inFlight = new Set<PendingExchange>();

  const newServer = () =>
    createMcpServer({
      name: config.appDisplayName,
      version: config.appVersion,
      nextcloud: deps.nextcloud,
      tools: deps.tools,
      audit: deps.audit,
      log: app.log,
    });
  const reportError = (error: Error) => app.log.warn({ err: error.message }, 'MCP request failed');
  // One handler per answer mode: JSON only behind the PHP proxy; JSON that turns into an event stream when a call
  // reports progress where streaming works.
  const modern = {
    json: createMcpHandler(newServer, { legacy: 'reject', responseMode: 'json', onerror: reportError }),
    streaming: createMcpHandler(newServer, {
      legacy: 'reject',
      responseMode: 'auto',
      keepAliveMs: 5000,
      maxSubscriptions: config.sessions.max,
      onerror: reportError,
    }),
  };
  const serveModern = { json: toNodeHandler(modern.json), streaming: toNodeHandler(modern.streaming) };

  // Before the server waits for open connections to end: open streams and running calls would keep it waiting.
  app.addHook('preClose', async () => {
    for (const exchange of inFlight) answerAbandoned(exchange, 'The app is stopping; retry in a moment.');
    inFlight.clear();
    await Promise.all([sessions.closeAll(), modern.json.close(), modern.streaming.close()]);
  });

  /**
   * Everything checked before a message reaches a transport. Returns the grant for the SDK's authInfo, or null
   * after answering.
   */
  const admit = async (request: FastifyRequest, reply: FastifyReply, path: McpPath): Promise<Admitted | null> => {
    const authenticated = await authenticateMcpRequest(deps, request, reply, path);
    if (!authenticated) return null;
    const { identity, policy, urls } = authenticated;
    const origin = request.headers.origin;
    if (origin !== undefined && !isAllowedOrigin(origin, urls.acceptedIssuers, config.allowedOrigins)) {
      request.log.warn({ origin }, 'MCP request from a browser origin that is not allowed');
      rpcError(reply, 403, -32000, `Origin ${origin} is not allowed to call this MCP server.`);
      return null;
    }
    if (request.method === 'POST') {
      // Every call outside the grant is refused and audited, whether it came alone or inside a batch.
      const needed = new Set<Scope>();
      for (const name of calledTools(request.body)) {
        const tool = tools.get(name);
        if (!tool || toolAllowed(tool, identity.scopes)) continue;
        const scopes = scopesToRequest(tool, policy.enabledScopes);
        // A scope the admin turned off cannot be consented to: the tool does not exist for this client at all.
        if (scopes.length === 0) continue;
        for (const scope of scopes) needed.add(scope);
        deps.audit.record({
          at: Date.now(),
          userId: identity.userId,
          clientId: identity.clientId,
          tool: tool.name,
          target: null,
          outcome: 'refused',
          errorCode: 'insufficient_scope',
          durationMs: 0,
        });
      }
      if (needed.size > 0) {
        requireScopes(urls, path, identity, [...needed], reply);
        return null;
      }
    }
    const grant: RequestGrant = { identity, policy, webRoot: nextcloudWebRoot(urls.base, config.appId) };
    return {
      identity,
      urls,
      auth: { token: '', clientId: identity.clientId, scopes: identity.scopes, expiresAt: identity.expiresAt, extra: { grant } },
    };
  };

  /** Hands the raw request to a transport. Fastify's hooks do not run for a hijacked reply, so its headers are written here. */
  const takeOver = (
    request: FastifyRequest,
    reply: FastifyReply,
    auth: AuthInfo,
  ): { req: IncomingMessage & { auth?: AuthInfo }; res: ServerResponse } => {
    reply.hijack();
    reply.raw.setHeader('cache-control', 'no-store');
    // Asks nginx (in front of Nextcloud) not to hold back event streams.
    reply.raw.setHeader('x-accel-buffering', 'no');
    for (const [name, value] of Object.entries(corsHeaders)) reply.raw.setHeader(name, value);
    const req = Object.assign(request.raw, { auth });
    return { req, res: reply.raw };
  };

  /** Tracks an exchange until its response is finished; a session's own are answered if the session ends first. */
  const track = (body: unknown, res: ServerResponse, session?: Session): PendingExchange => {
    const exchange: PendingExchange = { ids: requestIds(body), res };
    if (exchange.ids.length === 0) return exchange;
    inFlight.add(exchange);
    session?.pending.add(exchange);
    res.once('close', () => {
      inFlight.delete(exchange);
      session?.pending.delete(exchange);
    });
    return exchange;
  };

  const failed = (request: FastifyRequest, res: ServerResponse, error: unknown) => {
    request.log.error({ err: error }, 'MCP request failed');
    if (res.writableEnded) return;
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32603, message: 'Internal error; see the app log.' }, id: null }));
  };

  const sessionNotFound = (reply: FastifyReply) =>
    rpcError(reply, 404, -32001, 'Session not found: it ended or never existed. Initialize a new session.');

  /** Behind the PHP proxy a held-open response pins a Nextcloud PHP worker and reaches the client only when it ends. */
  const noStreamHere = (urls: PublicEndpoints, what: string, path: McpPath) =>
    `${what} needs a connection that stays open, which Nextcloud's PHP proxy cannot hold. ${
      urls.harpBase ? `Use ${urls.harpBase}/${path} (HaRP) for it, or` : 'This deployment has no HaRP, where it would work: use'
    } ${urls.resource}, which answers every request in JSON.`;

  corsPreflight(app, ['/mcp', '/sse', '/messages']);

  // Each MCP request waits for an unreachable Nextcloud at most once: after the policy, the account check or a tool's
  // first call timed out, its later Nextcloud calls fail at once with a message instead of each waiting again.
  app.addHook('onRequest', (_request, _reply, done) => withSingleTimeout(done));

  // Bodies are parsed without failing, so a client with a bad token gets the 401 that starts its OAuth flow, not
  // a parse error; after authentication a bad body gets the JSON-RPC parse error, a wrong type the SDK's 415. An
  // empty body (a DELETE that still names a content type) is no body.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    if ((body as string).trim() === '') return done(null, undefined);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body as string);
    } catch {
      return done(null, UNPARSABLE);
    }
    // The SDK serialises bodies again with the recursive JSON.stringify, which a few thousand levels overflow.
    done(null, nestedDeeperThan(parsed, MAX_JSON_DEPTH) ? UNPARSABLE : parsed);
  });
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  // The gates, in the order each route declares them: the bearer token (with the Origin and the scopes of the called
  // tools), then the body. A gate that refuses has answered, and the rest never run.
  app.decorateRequest('admitted', null);
  const bearer = (path: McpPath) => async (request: FastifyRequest, reply: FastifyReply) => {
    request.admitted = await admit(request, reply, path);
    return request.admitted ? undefined : reply;
  };
  const parsedBody = async (request: FastifyRequest, reply: FastifyReply) =>
    request.body === UNPARSABLE
      ? rpcError(reply, 400, -32700, `Parse error: the body is not valid JSON, or nests deeper than ${MAX_JSON_DEPTH} levels.`)
      : undefined;
  /** The admission of a request past the bearer gate. */
  const admission = (request: FastifyRequest): Admitted => request.admitted!;

  /**
   * A 2026-07-28 request: one stateless exchange through the SDK's per-request handler. subscriptions/listen holds
   * nothing either: the server offers no change notifications, so the SDK acknowledges an empty subscription and
   * completes the stream at once.
   */
  const serveModernRequest = async (request: FastifyRequest, reply: FastifyReply, admitted: { auth: AuthInfo; urls: PublicEndpoints }) => {
    const { req, res } = takeOver(request, reply, admitted.auth);
    track(request.body, res);
    await serveModern[admitted.urls.streaming ? 'streaming' : 'json'](req, res, request.body).catch((error: unknown) =>
      failed(request, res, error),
    );
    return reply;
  };

  app.route({
    method: ['GET', 'POST', 'DELETE'],
    url: '/mcp',
    config: { cors: true },
    preHandler: [bearer('mcp'), parsedBody],
    handler: async (request, reply) => {
      const admitted = admission(request);
      const { urls } = admitted;
      if (request.method === 'POST' && !isLegacyPost(request.headers, request.body)) {
        return serveModernRequest(request, reply, admitted);
      }

      const owner = sessionOwner(admitted.identity.userId, admitted.identity.clientId);
      const sessionId = request.headers['mcp-session-id'];
      if (request.method === 'GET' && (!urls.streaming || typeof sessionId !== 'string')) {
        // A standalone stream would hold a Nextcloud PHP worker for as long as the session lives; a sessionless
        // GET has nothing to stream.
        const message = urls.streaming
          ? 'A standalone event stream belongs to a session: send the Mcp-Session-Id header.'
          : noStreamHere(urls, 'The standalone event stream', 'mcp');
        return rpcError(reply.header('allow', 'POST, DELETE'), 405, -32000, message);
      }
      if (typeof sessionId === 'string') {
        const session = sessions.get(sessionId, owner, 'streamable');
        if (!session) return sessionNotFound(reply);
        // Only a POST carries messages; a body on GET or DELETE is ignored, as the transport ignores it.
        const body = request.method === 'POST' ? request.body : undefined;
        const inUse = requestIds(body).filter((id) => [...session.pending].some((exchange) => exchange.ids.includes(id)));
        if (inUse.length > 0)
          return rpcError(
            reply,
            409,
            -32600,
            `Request id ${JSON.stringify(inUse[0])} is still being answered in this session; use a new id.`,
          );
        const { req, res } = takeOver(request, reply, admitted.auth);
        track(body, res, session);
        await (session.transport as NodeStreamableHTTPServerTransport)
          .handleRequest(req, res, body)
          .catch((error: unknown) => failed(request, res, error));
        return reply;
      }
      if (request.method !== 'POST')
        return rpcError(reply, 400, -32000, 'Bad request: send the Mcp-Session-Id header the server returned at initialize.');

      const server = newServer();
      let transport: NodeStreamableHTTPServerTransport;
      if (isInitializeRequest(request.body)) {
        transport = new NodeStreamableHTTPServerTransport({
          sessionIdGenerator: randomUUID,
          enableJsonResponse: !urls.streaming,
          keepAliveMs: 5000,
          onsessioninitialized: (id) =>
            sessions.add({
              id,
              kind: 'streamable',
              owner,
              userId: admitted.identity.userId,
              transport,
              server,
              lastSeen: sessions.now(),
              pending: new Set(),
            }),
          onsessionclosed: (id) => sessions.close(id, 'the client ended it'),
        });
      } else {
        // A 2025 message outside any session is answered on its own; the server and transport live only for this
        // request.
        transport = new NodeStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: !urls.streaming });
        reply.raw.on('close', () => void server.close());
      }
      const { req, res } = takeOver(request, reply, admitted.auth);
      track(request.body, res);
      try {
        await server.connect(transport);
        await transport.handleRequest(req, res, request.body);
      } catch (error) {
        failed(request, res, error);
      }
      return reply;
    },
  });

  /** Refused before sign-in: no token would make this entrance able to stream. */
  const streamingEntrance = async (request: FastifyRequest, reply: FastifyReply) => {
    const { urls: here } = await endpoints.current(request);
    return here.streaming
      ? undefined
      : rpcError(reply.header('allow', ''), 405, -32000, noStreamHere(here, 'The legacy HTTP+SSE transport', 'sse'));
  };

  app.get('/sse', { config: { cors: true }, preHandler: [streamingEntrance, bearer('sse')] }, async (request, reply) => {
    const admitted = admission(request);
    const { urls } = admitted;
    // The endpoint event must name the public path of this entrance (its prefix included), not the app's own /messages.
    const transport = new SSEServerTransport(`${new URL(urls.base).pathname}/messages`, reply.raw);
    const server = newServer();
    const session: Session = {
      id: transport.sessionId,
      kind: 'sse',
      owner: sessionOwner(admitted.identity.userId, admitted.identity.clientId),
      userId: admitted.identity.userId,
      transport,
      server,
      lastSeen: sessions.now(),
      pending: new Set(),
    };
    const { res } = takeOver(request, reply, admitted.auth);
    // Proxies close streams that stay silent; a comment line every 15 s keeps this one open.
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    res.on('close', () => {
      clearInterval(keepAlive);
      void sessions.close(session.id, 'the stream closed');
    });
    try {
      await server.connect(transport);
      sessions.add(session);
    } catch (error) {
      failed(request, res, error);
    }
    return reply;
  });

  app.post('/messages', { config: { cors: true }, preHandler: [bearer('sse'), parsedBody] }, async (request, reply) => {
    const admitted = admission(request);
    const sessionId = (request.query as { sessionId?: unknown }).sessionId;
    const session =
      typeof sessionId === 'string'
        ? sessions.get(sessionId, sessionOwner(admitted.identity.userId, admitted.identity.clientId), 'sse')
        : undefined;
    if (!session) return sessionNotFound(reply);
    const { req, res } = takeOver(request, reply, admitted.auth);
    await (session.transport as SSEServerTransport)
      .handlePostMessage(req, res, request.body)
      .catch((error: unknown) => failed(request, res, error));
    return reply;
  });
}
