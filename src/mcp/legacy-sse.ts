// The legacy HTTP+SSE transport (2024-11-05): GET /sse opens the stream a session answers on, POST /messages
// carries the client's messages into it. Only where streaming works: the PHP proxy would hold the stream back.
import { SSEServerTransport } from '@modelcontextprotocol/server-legacy/sse';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EndpointSource } from '../http/urls.js';
import type { Server } from '@modelcontextprotocol/server';
import { noStreamHere, rpcError, sessionNotFound } from './answers.js';
import { failed, takeOver } from './exchanges.js';
import type { McpGates } from './gates.js';
import type { Session, SessionRegistry } from './sessions.js';
import { sessionOwner } from './sessions.js';

export interface LegacySseDeps {
  gates: McpGates;
  sessions: SessionRegistry;
  endpoints: EndpointSource;
  newServer: () => Server;
}

/** How often a comment line keeps a silent stream open: proxies close streams that stay silent. */
const KEEP_ALIVE_MS = 15_000;

export function legacySseRoutes(app: FastifyInstance, { gates, sessions, endpoints, newServer }: LegacySseDeps): void {
  /** Refused before sign-in: no token would make this entrance able to stream. */
  const streamingEntrance = async (request: FastifyRequest, reply: FastifyReply) => {
    const { urls: here } = await endpoints.current(request);
    return here.streaming
      ? undefined
      : rpcError(reply.header('allow', ''), 405, -32000, noStreamHere(here, 'The legacy HTTP+SSE transport', 'sse'));
  };

  app.get('/sse', { config: { cors: true }, preHandler: [streamingEntrance, ...gates.of('sse')] }, async (request, reply) => {
    const admitted = gates.admission(request);
    // The endpoint event must name the public path of this entrance (its prefix included), not the app's own /messages.
    const transport = new SSEServerTransport(`${new URL(admitted.urls.base).pathname}/messages`, reply.raw);
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
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
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

  app.post('/messages', { config: { cors: true }, preHandler: gates.of('sse') }, async (request, reply) => {
    const admitted = gates.admission(request);
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
