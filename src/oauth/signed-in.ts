// The proxy forwards anonymous visitors on PUBLIC routes with an empty user. Routes that act for a person declare
// this hook where they are registered, with the answer that fits them (a login redirect, an error page).
import type { FastifyReply, FastifyRequest } from 'fastify';

type Refusal = (request: FastifyRequest, reply: FastifyReply) => FastifyReply | Promise<FastifyReply>;

export function signedInOnly(refuse: Refusal) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    if (!request.appApi.userId) return refuse(request, reply);
    return undefined;
  };
}
