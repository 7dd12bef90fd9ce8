// How MCP request bodies are read. They are parsed without failing, so a client with a bad token gets the 401 that
// starts its OAuth flow, not a parse error; after authentication a bad body gets the JSON-RPC parse error (the
// parsedBody gate), a wrong type the SDK's 415. An empty body (a DELETE that still names a content type) is no body.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { rpcError } from './answers.js';

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

/** Replaces the plugin's body parsers with ones that never fail: what cannot be read is marked for parsedBody. */
export function lenientBodies(app: FastifyInstance): void {
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
}

/** The gate after authentication: a body that could not be read gets the JSON-RPC parse error. */
export async function parsedBody(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
  return request.body === UNPARSABLE
    ? rpcError(reply, 400, -32700, `Parse error: the body is not valid JSON, or nests deeper than ${MAX_JSON_DEPTH} levels.`)
    : undefined;
}
