// The MCP server behind every transport and protocol era (one instance per 2025 session, per sessionless 2025
// request and per 2026-07-28 request). It is built on the SDK's low-level Server rather than McpServer because
// McpServer's tool registry is one list per server, while here the list depends on each request's grant: the
// same session may carry a narrower or a wider token from one request to the next (step-up, or the admin
// changing the ceiling), so tools/list and tools/call read the identity of the request they answer.
import type { CallToolResult, InputRequiredResult, ServerContext, Tool as ListedTool } from '@modelcontextprotocol/server';
import { CLIENT_CAPABILITIES_META_KEY, ProtocolError, ProtocolErrorCode, Server, inputResponse } from '@modelcontextprotocol/server';
import type { FastifyBaseLogger } from 'fastify';
import { z } from 'zod';
import type { Nextcloud } from '../../lib/index.js';
import type { McpIdentity } from '../oauth/bearer.js';
import type { Policy } from '../policy/policy.js';
import type { AuditStore } from '../store/audit.js';
import type { Tool, ToolContext } from '../tools/tool.js';
import { isWriteTool, toolAllowed } from '../tools/tool.js';
import type { ConfirmationTokens } from './confirmation.js';
import { CONFIRMATION_ARGUMENT, checkpoint, confirmationTokens, planFor } from './confirmation.js';
import type { Execution } from './execute.js';
import { executeTool } from './execute.js';
import type { UserApps } from './user-apps.js';
import { userApps } from './user-apps.js';

/** What the endpoint verified for one HTTP request, handed to the handlers through the SDK's authInfo. */
export interface RequestGrant {
  identity: McpIdentity;
  policy: Policy;
  webRoot: string;
  /** Whether this entrance answers as an event stream, so the server can put a question to the client mid-call. */
  streaming?: boolean;
}

export interface McpServerDeps {
  name: string;
  version: string;
  nextcloud: Nextcloud;
  tools: readonly Tool[];
  audit: AuditStore;
  log: FastifyBaseLogger;
  /** Shared by every server of the app, so a token issued in one exchange is honoured in the next. */
  confirmations?: ConfirmationTokens;
  /** Which apps each user can use, shared likewise. */
  userApps?: UserApps;
}

/** The grant the endpoint attached to this message; absent only if a transport was wired without it. */
function grantOf(ctx: ServerContext): RequestGrant {
  const grant = ctx.http?.authInfo?.extra?.grant as RequestGrant | undefined;
  if (!grant) throw new ProtocolError(ProtocolErrorCode.InternalError, 'The request carries no verified identity.');
  return grant;
}

/** A call that takes longer than this reports progress (to a client that asked), so it is not taken for dead. */
const HEARTBEAT_MS = 1000;

const INSTRUCTIONS = `Tools act in Nextcloud as the user who connected this app, with that user's permissions: files, calendars and Talk conversations they can reach, nothing else.
Paths are in the user's own file tree, e.g. /Documents/Report.md; shared items appear where the user sees them (often /Shared/...).
Before replacing a file or changing an event, read it first and pass the etag you got, so nothing someone else changed is overwritten.`;

/** Every write tool takes the token a plan was confirmed with (confirmation.ts); it is never passed to the tool. */
const confirmationField = z
  .string()
  .max(200)
  .optional()
  .describe(
    'Only when a previous call answered "Confirmation needed": the token it gave, sent after the person agreed, with the same arguments as before.',
  );

/** JSON Schemas are derived once per tool list; servers are built per session (and per sessionless request). */
const described = new WeakMap<readonly Tool[], ListedTool[]>();

export function describeTools(tools: readonly Tool[]): ListedTool[] {
  const known = described.get(tools);
  if (known) return known;
  const listed = tools.map((tool) => ({
    name: tool.name,
    title: tool.title,
    description: tool.description,
    inputSchema: z.toJSONSchema(isWriteTool(tool) ? tool.input.extend({ [CONFIRMATION_ARGUMENT]: confirmationField }) : tool.input, {
      target: 'draft-7',
      io: 'input',
    }) as ListedTool['inputSchema'],
    outputSchema: z.toJSONSchema(tool.output, { target: 'draft-7', io: 'output' }) as ListedTool['outputSchema'],
    annotations: { title: tool.title, ...tool.annotations },
  }));
  described.set(tools, listed);
  return listed;
}

export function createMcpServer(deps: McpServerDeps): Server {
  const server = new Server(
    { name: deps.name, version: deps.version },
    { capabilities: { tools: { listChanged: false } }, instructions: INSTRUCTIONS },
  );
  const byName = new Map(deps.tools.map((tool) => [tool.name, tool]));
  const listed = new Map(describeTools(deps.tools).map((entry) => [entry.name, entry]));
  const tokens = deps.confirmations ?? confirmationTokens();
  const apps = deps.userApps ?? userApps(deps.nextcloud);

  /** Whether the grant and the admin let this client use the tool at all (the admin's switch, the scopes). */
  const offered = (tool: Tool | undefined, grant: RequestGrant): tool is Tool =>
    tool !== undefined && !grant.policy.disabledTools.includes(tool.name) && toolAllowed(tool, grant.identity.scopes);

  server.setRequestHandler('tools/list', async (_request, ctx) => {
    const grant = grantOf(ctx);
    const candidates = deps.tools.filter((tool) => offered(tool, grant));
    // Tools of an app the user cannot use are left out; when Nextcloud cannot say, so are they (a call would fail).
    const available = candidates.some((tool) => tool.app) ? await apps.of(grant.identity.userId) : null;
    return {
      tools: candidates.filter((tool) => !tool.app || available?.has(tool.app)).map((tool) => listed.get(tool.name)!),
    };
  });

  server.setRequestHandler('tools/call', async (request, ctx): Promise<CallToolResult | InputRequiredResult> => {
    const grant = grantOf(ctx);
    const { identity } = grant;
    const tool = byName.get(request.params.name);
    // A tool outside the grant is answered with 403 before it gets here (step-up); one outside the admin's
    // ceiling, or switched off, does not exist for this client at all.
    if (!offered(tool, grant)) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown tool: ${request.params.name}`);
    const started = performance.now();
    const targets: string[] = [];
    const progress = progressReporter(ctx.mcpReq);
    const { [CONFIRMATION_ARGUMENT]: token, ...args } = { ...request.params.arguments };
    const context: ToolContext = {
      user: deps.nextcloud.as(identity.userId),
      userId: identity.userId,
      clientId: identity.clientId,
      scopes: identity.scopes,
      ...(identity.account ? { account: identity.account } : {}),
      policy: grant.policy,
      webRoot: grant.webRoot,
      signal: ctx.mcpReq.signal,
      progress: progress.report,
      audit: (target) => void targets.push(target),
    };
    const execution = await (async () => {
      if (tool.app && (await apps.of(identity.userId))?.has(tool.app) === false) return unavailable(tool);
      return executeTool(tool, args, context, async (input) => {
        const plan = await planFor(tool, input, context, grant.policy.confirmation);
        if (plan === null) return { kind: 'proceed' };
        const state: unknown = ctx.mcpReq.requestState();
        return checkpoint(
          plan,
          { userId: identity.userId, clientId: identity.clientId, tool: tool.name, input },
          {
            canElicit: canElicit(ctx, server, grant),
            answer: inputResponse(ctx.mcpReq.inputResponses, 'confirm'),
            state: typeof state === 'string' ? state : undefined,
            token: typeof token === 'string' ? token : undefined,
          },
          tokens,
        );
      });
    })().finally(progress.stop);
    const durationMs = performance.now() - started;
    if (execution.internal) deps.log.error({ err: execution.internal, tool: tool.name, user: identity.userId }, 'tool failed');
    else if (execution.outcome === 'error')
      deps.log.info({ tool: tool.name, user: identity.userId, code: execution.errorCode }, 'tool refused');
    deps.audit.record({
      at: Date.now(),
      userId: identity.userId,
      clientId: identity.clientId,
      tool: tool.name,
      target: targets.length > 0 ? targets.join(' -> ') : null,
      outcome: execution.outcome,
      errorCode: execution.errorCode,
      durationMs,
    });
    return execution.question ?? execution.result;
  });
  return server;
}

/** A tool of an app (Notes, Deck) that Nextcloud says this user cannot use. */
function unavailable(tool: Tool): Execution {
  return {
    result: {
      isError: true,
      content: [
        {
          type: 'text',
          text: `${tool.name} is not available: the ${tool.app} app is not installed in this Nextcloud or not enabled for this account.`,
        },
      ],
    },
    outcome: 'error',
    errorCode: 'app_unavailable',
  };
}

/**
 * Whether the person can be asked through the client in this exchange: the client declared elicitation, and the
 * answer can reach this call. On the 2026-07-28 revision the question travels in the call's own result. On the 2025
 * revision it is a request from the server inside the call's event stream, answered in a later POST of the same
 * session, so it needs both a session and an entrance that streams (not the PHP proxy, which buffers).
 */
function canElicit(ctx: ServerContext, server: Server, grant: RequestGrant): boolean {
  const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
  const modern = envelope?.[CLIENT_CAPABILITIES_META_KEY] as { elicitation?: { form?: unknown } } | undefined;
  if (envelope) return declaresForm(modern?.elicitation);
  return ctx.sessionId !== undefined && grant.streaming === true && declaresForm(server.getClientCapabilities()?.elicitation);
}

/** An empty elicitation capability means form mode (the form/url split came later). */
function declaresForm(elicitation: { form?: unknown; url?: unknown } | undefined): boolean {
  if (!elicitation) return false;
  return elicitation.form !== undefined || elicitation.url === undefined;
}

/**
 * Progress for a client that sent a progress token: what the tool reports, and a heartbeat one period after the
 * last report while the call runs on. Progress must grow with every notification, so reports that would not are
 * dropped. The heartbeat is re-armed by every report (not a fixed interval that skips ticks), so a quiet call
 * reports once per period, not every other period.
 */
export function progressReporter(request: Pick<ServerContext['mcpReq'], '_meta' | 'notify'>): {
  report: (progress: number, total?: number, message?: string) => Promise<void>;
  stop: () => void;
} {
  const token = request._meta?.progressToken;
  if (token === undefined) return { report: async () => {}, stop: () => {} };
  let last = 0;
  let stopped = false;
  let heartbeat: ReturnType<typeof setTimeout> | undefined;
  const started = Date.now();
  const arm = () => {
    clearTimeout(heartbeat);
    heartbeat = setTimeout(() => void send(last + 1, undefined, `working (${Math.round((Date.now() - started) / 1000)} s)`), HEARTBEAT_MS);
    heartbeat.unref?.();
  };
  const send = async (progress: number, total: number | undefined, message: string | undefined) => {
    if (stopped || progress <= last) return;
    last = progress;
    arm();
    await request
      .notify({
        method: 'notifications/progress',
        params: { progressToken: token, progress, ...(total !== undefined ? { total } : {}), ...(message ? { message } : {}) },
      })
      .catch(() => undefined);
  };
  arm();
  return {
    report: (progress, total, message) => send(progress, total, message),
    stop: () => {
      stopped = true;
      clearTimeout(heartbeat);
    },
  };
}
