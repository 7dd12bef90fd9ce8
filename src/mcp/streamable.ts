// Streamable HTTP at /mcp. A POST of the 2026-07-28 revision is one stateless exchange through the SDK's
// per-request handler; 2025 traffic runs in sessions (initialize opens one, Mcp-Session-Id names it), and a 2025
// message outside any session is answered on its own. Behind the PHP proxy there is no standalone GET stream.
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import type { Server } from '@modelcontextprotocol/server';
import { classifyInboundRequest, isInitializeRequest } from '@modelcontextprotocol/server';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { noStreamHere, rpcError, sessionNotFound } from './answers.js';
import type { InFlight } from './exchanges.js';
import { failed, takeOver } from './exchanges.js';
import type { Admitted, McpGates } from './gates.js';
import type { SessionRegistry } from './sessions.js';
import { requestIds, sessionOwner } from './sessions.js';

type NodeHandler = (req: IncomingMessage, res: ServerResponse, body: unknown) => Promise<void>;

export interface StreamableDeps {
  gates: McpGates;
  sessions: SessionRegistry;
  inFlight: InFlight;
  newServer: () => Server;
  /** The 2026-07-28 handlers: one JSON body per answer (behind the PHP proxy), or JSON that may turn into a stream. */
  stateless: { json: NodeHandler; streaming: NodeHandler };
}

/** How often an open event stream sends a keep-alive, so proxies do not take it for dead. */
export const KEEP_ALIVE_MS = 5000;

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

export function streamableRoute(app: FastifyInstance, deps: StreamableDeps): void {
  const { gates, sessions, inFlight, newServer, stateless } = deps;

  /**
   * A 2026-07-28 request. subscriptions/listen holds nothing either: the server offers no change notifications,
   * so the SDK acknowledges an empty subscription and completes the stream at once.
   */
  const serveStateless = async (request: FastifyRequest, reply: FastifyReply, admitted: Admitted) => {
    const { req, res } = takeOver(request, reply, admitted.auth);
    inFlight.track(request.body, res);
    await stateless[admitted.urls.streaming ? 'streaming' : 'json'](req, res, request.body).catch((error: unknown) =>
      failed(request, res, error),
    );
    return reply;
  };

  /** A request of a session the client named. */
  const serveInSession = async (request: FastifyRequest, reply: FastifyReply, admitted: Admitted, sessionId: string) => {
    const owner = sessionOwner(admitted.identity.userId, admitted.identity.clientId);
    const session = sessions.get(sessionId, owner, 'streamable');
    if (!session) return sessionNotFound(reply);
    // Only a POST carries messages; a body on GET or DELETE is ignored, as the transport ignores it.
    const body = request.method === 'POST' ? request.body : undefined;
    const inUse = requestIds(body).filter((id) => [...session.pending].some((exchange) => exchange.ids.includes(id)));
    if (inUse.length > 0)
      return rpcError(reply, 409, -32600, `Request id ${JSON.stringify(inUse[0])} is still being answered in this session; use a new id.`);
    const { req, res } = takeOver(request, reply, admitted.auth);
    inFlight.track(body, res, session);
    await (session.transport as NodeStreamableHTTPServerTransport)
      .handleRequest(req, res, body)
      .catch((error: unknown) => failed(request, res, error));
    return reply;
  };

  /** A 2025 POST without a session: initialize opens one; anything else is answered on its own. */
  const serveOutsideSession = async (request: FastifyRequest, reply: FastifyReply, admitted: Admitted) => {
    const { identity, urls } = admitted;
    const server = newServer();
    let transport: NodeStreamableHTTPServerTransport;
    if (isInitializeRequest(request.body)) {
      transport = new NodeStreamableHTTPServerTransport({
        sessionIdGenerator: randomUUID,
        enableJsonResponse: !urls.streaming,
        keepAliveMs: KEEP_ALIVE_MS,
        onsessioninitialized: (id) =>
          sessions.add({
            id,
            kind: 'streamable',
            owner: sessionOwner(identity.userId, identity.clientId),
            userId: identity.userId,
            transport,
            server,
            lastSeen: sessions.now(),
            pending: new Set(),
          }),
        onsessionclosed: (id) => sessions.close(id, 'the client ended it'),
      });
    } else {
      // The server and transport live only for this request.
      transport = new NodeStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: !urls.streaming });
      reply.raw.on('close', () => void server.close());
    }
    const { req, res } = takeOver(request, reply, admitted.auth);
    inFlight.track(request.body, res);
    try {
      await server.connect(transport);
      await transport.handleRequest(req, res, request.body);
    } catch (error) {
      failed(request, res, error);
    }
    return reply;
  };

  app.route({
    method: ['GET', 'POST', 'DELETE'],
    url: '/mcp',
    config: { cors: true },
    preHandler: gates.of('mcp'),
    handler: async (request, reply) => {
      const admitted = gates.admission(request);
      if (request.method === 'POST' && !isLegacyPost(request.headers, request.body)) return serveStateless(request, reply, admitted);
      const { urls } = admitted;
      const sessionId = request.headers['mcp-session-id'];
      if (request.method === 'GET' && (!urls.streaming || typeof sessionId !== 'string')) {
        // A standalone stream would hold a Nextcloud PHP worker for as long as the session lives; a sessionless
        // GET has nothing to stream.
        const message = urls.streaming
          ? 'A standalone event stream belongs to a session: send the Mcp-Session-Id header.'
          : noStreamHere(urls, 'The standalone event stream', 'mcp');
        return rpcError(reply.header('allow', 'POST, DELETE'), 405, -32000, message);
      }
      if (typeof sessionId === 'string') return serveInSession(request, reply, admitted, sessionId);
      if (request.method !== 'POST')
        return rpcError(reply, 400, -32000, 'Bad request: send the Mcp-Session-Id header the server returned at initialize.');
      return serveOutsideSession(request, reply, admitted);
    },
  });
}
