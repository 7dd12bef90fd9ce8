// Builds the Fastify app. Everything it needs is passed in, so tests build the same app the process runs.
import formBody from '@fastify/formbody';
import Fastify from 'fastify';
import type { FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import type { Nextcloud } from '../lib/index.js';
import { createNextcloud, isInvalidArgumentError, isNextcloudError } from '../lib/index.js';
import { auditRoutes } from './admin/audit.js';
import { adminConnectionRoutes } from './admin/connections.js';
import { statusRoutes } from './admin/status.js';
import type { AppConfig } from './config.js';
import { appApiAuth } from './http/appapi-auth.js';
import { cors } from './http/cors.js';
import { html, sendPage } from './http/html.js';
import { infoRoutes } from './http/info-routes.js';
import { lifecycleRoutes } from './http/lifecycle.js';
import { loggerOptions, requestIdOf } from './http/logging.js';
import { noStore } from './http/no-store.js';
import type { ServerTimeouts } from './http/timeouts.js';
import { serverTimeoutOptions } from './http/timeouts.js';
import { mcpRoutes } from './mcp/endpoint.js';
import type { SessionClock } from './mcp/sessions.js';
import { authorizeRoutes } from './oauth/authorize.js';
import { connectionRoutes } from './oauth/connections.js';
import type { ClientMetadataFetcher } from './oauth/client-metadata-document.js';
import { createOAuthContext } from './oauth/context.js';
import { AccountCheckUnavailableError } from './oauth/eligibility.js';
import { metadataRoutes } from './oauth/metadata.js';
import { registrationRoutes } from './oauth/registration.js';
import { tokenRoutes } from './oauth/token.js';
import type { PolicySource } from './policy/policy.js';
import { PolicyUnavailableError, createPolicySource } from './policy/policy.js';
import { auditStore } from './store/audit.js';
import type { Db } from './store/database.js';
import type { Tool } from './tools/tool.js';
import { allTools } from './tools/index.js';

/** The Nextcloud client the app acts through, as its configuration sets it up. */
export function nextcloudFor(config: AppConfig): Nextcloud {
  return createNextcloud({
    baseUrl: config.nextcloudUrl,
    appId: config.appId,
    appVersion: config.appVersion,
    appSecret: config.appSecret,
    aaVersion: config.aaVersion,
    timeoutMs: config.nextcloudTimeoutMs,
    // A calendar added or shared in Nextcloud shows up within the same time as a changed admin policy.
    calendarListTtlMs: config.policyTtlMs,
  });
}

/**
 * Nextcloud could not be asked what this request needs. A person who opened one of the app's pages (a browser asks for
 * text/html) gets a page saying so; clients get the JSON answer with its code.
 */
function trouble(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  answer: { error: string; message: string; error_description?: string },
): FastifyReply {
  if (!request.headers.accept?.includes('text/html')) return reply.code(status).send(answer);
  return sendPage(
    reply,
    'Nextcloud did not answer as expected',
    html`<h1>Nextcloud did not answer as expected</h1><p id="trouble">${answer.message}</p><p class="hint">Try again in a moment.</p>`,
    status,
  );
}

export interface AppDeps {
  config: AppConfig;
  nextcloud: Nextcloud;
  db: Db;
  /** Tests pass a stream to read the log lines. */
  logger?: FastifyServerOptions['logger'];
  policy?: PolicySource;
  /** Tests serve client metadata documents from loopback hosts, which the default fetcher refuses. */
  clientDocuments?: ClientMetadataFetcher;
  /** The tools offered (default: all of them). */
  tools?: readonly Tool[];
  /** Tests shorten the limits on receiving a request, so a stalled upload is cut off within the test. */
  timeouts?: Partial<ServerTimeouts>;
  /** The MCP sessions' clock and sweep timer (idle ends, the sweep); the process's by default. */
  sessionClock?: SessionClock;
}

export async function buildApp(deps: AppDeps) {
  const app = Fastify({
    logger: deps.logger ?? loggerOptions(deps.config.logLevel),
    requestIdHeader: false,
    genReqId: requestIdOf,
    trustProxy: false,
    bodyLimit: 4 * 1024 * 1024,
    ...serverTimeoutOptions(deps.timeouts),
  });
  await app.register(noStore);
  await app.register(cors);
  await app.register(appApiAuth, { appId: deps.config.appId, appSecret: deps.config.appSecret });

  app.setErrorHandler((error, request, reply) => {
    if (isNextcloudError(error)) {
      request.log.warn({ code: error.code, status: error.status }, 'Nextcloud refused a call');
      const status = error.code === 'timeout' ? 504 : 502;
      // Nextcloud being slow or away passes; say when to try again.
      if (error.code === 'timeout' || error.code === 'unavailable' || error.code === 'rate_limited') reply.header('retry-after', '5');
      return trouble(request, reply, status, { error: error.code, message: error.message });
    }
    if (isInvalidArgumentError(error)) {
      // An argument no Nextcloud could accept (a user id, a path) reached lib: the caller's mistake, not ours.
      request.log.info({ err: error.message }, 'request refused: invalid argument');
      return reply.code(400).send({ error: 'bad_request', message: error.message });
    }
    if (error instanceof AccountCheckUnavailableError) {
      // Reaches here from routes that do not answer it themselves (token refresh, authorization): "retry", never a
      // refusal such as invalid_grant, which would make the client drop a grant that is still good.
      request.log.warn({ err: error.message }, 'account could not be checked with Nextcloud');
      reply.header('retry-after', String(error.retryAfterSeconds));
      return trouble(request, reply, 503, { error: 'temporarily_unavailable', error_description: error.message, message: error.message });
    }
    if (error instanceof PolicyUnavailableError) {
      request.log.warn({ err: error.message }, 'policy unavailable');
      reply.header('retry-after', '5');
      return trouble(request, reply, 503, { error: 'temporarily_unavailable', message: error.message });
    }
    const { statusCode, message } = error as { statusCode?: number; message?: string };
    const status = statusCode && statusCode >= 400 && statusCode < 500 ? statusCode : 500;
    if (status === 500) request.log.error({ err: error }, 'unhandled error');
    return reply.code(status).send({
      error: status === 500 ? 'internal_error' : 'bad_request',
      message: status === 500 ? 'Internal error; see the app log.' : message,
    });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: 'not_found', message: `No route ${request.method} ${request.url.split('?')[0]}` }),
  );

  await app.register(formBody, { bodyLimit: 64 * 1024 });

  const { config, nextcloud, db } = deps;
  // A reload of the policy may hold a request up for a small part of one Nextcloud timeout, so a request that then
  // calls Nextcloud itself still waits about one timeout at most.
  const staleAfterMs = Math.min(1000, config.nextcloudTimeoutMs / 10);
  const policy = deps.policy ?? createPolicySource(nextcloud, { ttlMs: config.policyTtlMs, log: app.log, staleAfterMs });
  const { store, keys, eligibility, documents, external, verifiers, forms, limits, endpoints } = await createOAuthContext({
    config,
    nextcloud,
    db,
    policy,
    log: app.log,
    documents: deps.clientDocuments,
  });

  // Expired codes, refresh tokens and abandoned consent pages go once an hour.
  const audit = auditStore(db, { onWriteError: (error, lost) => app.log.error({ err: error, lost }, 'could not write the audit log') });
  const pruning = setInterval(() => {
    store.prune();
    audit.prune(config.auditRetentionDays);
  }, 3600_000).unref();
  app.addHook('onClose', async () => {
    clearInterval(pruning);
    audit.flush();
  });

  await app.register(lifecycleRoutes, { config, nextcloud, db, policy, tools: deps.tools ?? allTools });
  await app.register(infoRoutes, { config, nextcloud, endpoints });
  await app.register(metadataRoutes, { endpoints, external, keys });
  await app.register(registrationRoutes, { store, limits, endpoints });
  await app.register(authorizeRoutes, { store, forms, limits, documents, eligibility, endpoints });
  await app.register(tokenRoutes, { store, keys, eligibility, endpoints });
  await app.register(connectionRoutes, { store, forms, endpoints });
  await app.register(adminConnectionRoutes, { nextcloud, store, forms, endpoints });
  await app.register(auditRoutes, { nextcloud, endpoints, audit });
  await app.register(statusRoutes, { config, nextcloud, db, endpoints });
  await app.register(mcpRoutes, {
    config,
    nextcloud,
    verifiers,
    eligibility,
    endpoints,
    audit,
    tools: deps.tools ?? allTools,
    sessionClock: deps.sessionClock,
  });
  return app;
}
