// Handing a request over to an SDK transport, and keeping track of it until it is answered: fastify's hooks do not
// run for a hijacked reply, and an exchange left unanswered when a session or the app ends must still get an answer.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthInfo } from '@modelcontextprotocol/server';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { corsHeaders } from '../http/cors.js';
import type { PendingExchange, Session } from './sessions.js';
import { answerAbandoned, requestIds } from './sessions.js';

/** Hands the raw request to a transport, with the headers fastify would have written. */
export function takeOver(
  request: FastifyRequest,
  reply: FastifyReply,
  auth: AuthInfo,
): { req: IncomingMessage & { auth?: AuthInfo }; res: ServerResponse } {
  reply.hijack();
  reply.raw.setHeader('cache-control', 'no-store');
  // Asks nginx (in front of Nextcloud) not to hold back event streams.
  reply.raw.setHeader('x-accel-buffering', 'no');
  for (const [name, value] of Object.entries(corsHeaders)) reply.raw.setHeader(name, value);
  const req = Object.assign(request.raw, { auth });
  return { req, res: reply.raw };
}

/** A transport that threw: logged, and answered with a JSON-RPC internal error unless it already answered. */
export function failed(request: FastifyRequest, res: ServerResponse, error: unknown): void {
  request.log.error({ err: error }, 'MCP request failed');
  if (res.writableEnded) return;
  if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32603, message: 'Internal error; see the app log.' }, id: null }));
}

/** Every exchange handed to a transport and not answered yet, so none is left without an answer at shutdown. */
export class InFlight {
  private readonly exchanges = new Set<PendingExchange>();

  /** Tracks an exchange until its response is finished; a session's own are answered if the session ends first. */
  track(body: unknown, res: ServerResponse, session?: Session): PendingExchange {
    const exchange: PendingExchange = { ids: requestIds(body), res };
    if (exchange.ids.length === 0) return exchange;
    this.exchanges.add(exchange);
    session?.pending.add(exchange);
    res.once('close', () => {
      this.exchanges.delete(exchange);
      session?.pending.delete(exchange);
    });
    return exchange;
  }

  answerAll(message: string): void {
    for (const exchange of this.exchanges) answerAbandoned(exchange, message);
    this.exchanges.clear();
  }
}
