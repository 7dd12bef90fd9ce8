// Where an OAuth route's refusals become answers: each OAuth plugin declares, once, how it answers an OAuthError and
// a Nextcloud that could not be asked, and its handlers just throw. Anything else goes on to the app's handler.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isBasic } from '../http/basic-auth.js';
import { OAuthError } from './errors.js';
import { temporaryFailure } from './unavailable.js';

export type TemporaryFailure = NonNullable<ReturnType<typeof temporaryFailure>>;

export interface ErrorAnswers {
  refusal(error: OAuthError, request: FastifyRequest, reply: FastifyReply): FastifyReply;
  /** Without it, a temporary failure goes on to the app's handler like any other error. */
  unavailable?(failure: TemporaryFailure, request: FastifyRequest, reply: FastifyReply): FastifyReply;
}

export function answerErrors(app: FastifyInstance, answers: ErrorAnswers): void {
  app.setErrorHandler((error, request, reply) => {
    if (error instanceof OAuthError) return answers.refusal(error, request, reply);
    const failure = answers.unavailable ? temporaryFailure(error) : null;
    if (failure) return answers.unavailable!(failure, request, reply);
    throw error;
  });
}

/**
 * The JSON error of RFC 6749 §5.2 (the token endpoint; RFC 7009 and RFC 7591 use the same form). The token and
 * revocation endpoints add Pragma: no-cache (§5.1), and a Basic challenge when Basic credentials were refused (§5.2).
 */
export function jsonRefusal({ tokenEndpoint }: { tokenEndpoint: boolean }): ErrorAnswers['refusal'] {
  return (error, request, reply) => {
    if (!tokenEndpoint) return reply.code(error.status).send(error.toJSON());
    if (error.code === 'invalid_client' && isBasic(request.headers.authorization))
      reply.header('www-authenticate', 'Basic realm="mcp_gateway"');
    return reply.code(error.status).header('pragma', 'no-cache').send(error.toJSON());
  };
}
