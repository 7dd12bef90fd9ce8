// Who and what may reach an MCP transport, as route hooks in the order every MCP route declares them: the bearer
// token (401 that starts the client's OAuth flow, or 503 while Nextcloud cannot be asked), the browser Origin
// (403), the tools a POST calls, alone or in a batch (403 insufficient_scope naming what to step up to; each
// refusal audited), then the body (the JSON-RPC parse error). A gate that refuses has answered, and the rest never
// run. What passes on is the request's admission: the identity, the SDK's authInfo and the entrance's URLs.
import type { AuthInfo } from '@modelcontextprotocol/server';
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { AppConfig } from '../config.js';
import type { Scope } from '../core/scopes.js';
import type { McpPath, PublicEndpoints } from '../http/urls.js';
import { nextcloudWebRoot } from '../http/urls.js';
import type { BearerCheck, McpIdentity } from '../oauth/bearer.js';
import { authenticateMcpRequest, requireScopes } from '../oauth/bearer.js';
import type { Policy } from '../policy/policy.js';
import type { AuditStore } from '../store/audit.js';
import type { Tool } from '../tools/tool.js';
import { scopesToRequest, toolAllowed } from '../tools/tool.js';
import { rpcError } from './answers.js';
import { parsedBody } from './body.js';
import { isAllowedOrigin } from './origin.js';
import type { RequestGrant } from './server.js';
import { rpcMessages } from './sessions.js';

/** A request past the gates: who it acts for, the grant as the SDK's authInfo, and the entrance's URLs. */
export interface Admitted {
  identity: McpIdentity;
  policy: Policy;
  auth: AuthInfo;
  urls: PublicEndpoints;
  path: McpPath;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the bearer gate of the MCP routes; null elsewhere. */
    admitted: Admitted | null;
  }
}

export interface GateDeps extends BearerCheck {
  config: Pick<AppConfig, 'appId' | 'allowedOrigins'>;
  audit: AuditStore;
  tools: ReadonlyMap<string, Tool>;
}

export interface McpGates {
  /** The gates of one MCP path, for a route's preHandler. */
  of(path: McpPath): preHandlerAsyncHookHandler[];
  /** The admission the gates left on a request that passed them. */
  admission(request: FastifyRequest): Admitted;
}

/** The tools the tools/call messages of a body (alone or in a batch) name. */
function calledTools(body: unknown): string[] {
  return rpcMessages(body).flatMap((message) =>
    message.method === 'tools/call' && typeof message.params?.name === 'string' ? [message.params.name] : [],
  );
}

export function mcpGates(app: FastifyInstance, deps: GateDeps): McpGates {
  const { config, audit, tools } = deps;
  app.decorateRequest('admitted', null);

  const bearer = (path: McpPath) =>
    async function bearer(request: FastifyRequest, reply: FastifyReply) {
      const authenticated = await authenticateMcpRequest(deps, request, reply, path);
      if (!authenticated) return reply;
      const { identity, policy, urls } = authenticated;
      const grant: RequestGrant = { identity, policy, webRoot: nextcloudWebRoot(urls.base, config.appId), streaming: urls.streaming };
      const auth = { token: '', clientId: identity.clientId, scopes: identity.scopes, expiresAt: identity.expiresAt, extra: { grant } };
      request.admitted = { identity, policy, auth, urls, path };
      return undefined;
    };

  async function allowedOrigin(request: FastifyRequest, reply: FastifyReply) {
    const origin = request.headers.origin;
    if (origin === undefined || isAllowedOrigin(origin, request.admitted!.urls.acceptedIssuers, config.allowedOrigins)) return undefined;
    request.log.warn({ origin }, 'MCP request from a browser origin that is not allowed');
    return rpcError(reply, 403, -32000, `Origin ${origin} is not allowed to call this MCP server.`);
  }

  async function grantCovers(request: FastifyRequest, reply: FastifyReply) {
    if (request.method !== 'POST') return undefined;
    const { identity, policy, urls, path } = request.admitted!;
    const needed = new Set<Scope>();
    for (const name of calledTools(request.body)) {
      const tool = tools.get(name);
      // A tool the admin switched off exists for nobody: no consent could make it available.
      if (!tool || toolAllowed(tool, identity.scopes) || policy.disabledTools.includes(name)) continue;
      const scopes = scopesToRequest(tool, policy.enabledScopes);
      // A scope the admin turned off cannot be consented to: the tool does not exist for this client at all.
      if (scopes.length === 0) continue;
      for (const scope of scopes) needed.add(scope);
      audit.record({
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
    if (needed.size === 0) return undefined;
    requireScopes(urls, path, identity, [...needed], reply);
    return reply;
  }

  return {
    of: (path) => [bearer(path), allowedOrigin, grantCovers, parsedBody],
    admission: (request) => request.admitted!,
  };
}
