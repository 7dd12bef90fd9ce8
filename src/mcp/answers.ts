// Answers the MCP routes give before or instead of a transport: JSON-RPC errors at the HTTP level, and the
// explanation of why an entrance cannot hold a stream open.
import type { FastifyReply } from 'fastify';
import type { McpPath, PublicEndpoints } from '../http/urls.js';

/** JSON-RPC error bodies for HTTP-level refusals (the id is unknown at this point). */
export function rpcError(reply: FastifyReply, status: number, code: number, message: string): FastifyReply {
  return reply.code(status).send({ jsonrpc: '2.0', error: { code, message }, id: null });
}

export const sessionNotFound = (reply: FastifyReply): FastifyReply =>
  rpcError(reply, 404, -32001, 'Session not found: it ended or never existed. Initialize a new session.');

/** Behind the PHP proxy a held-open response pins a Nextcloud PHP worker and reaches the client only when it ends. */
export const noStreamHere = (urls: PublicEndpoints, what: string, path: McpPath): string =>
  `${what} needs a connection that stays open, which Nextcloud's PHP proxy cannot hold. ${
    urls.harpBase ? `Use ${urls.harpBase}/${path} (HaRP) for it, or` : 'This deployment has no HaRP, where it would work: use'
  } ${urls.resource}, which answers every request in JSON.`;
