// Small routes that are reachable through Nextcloud's proxy today: a landing page, the caller's own Nextcloud
// identity (PUBLIC, checked here: 401 without a session) and a status report for admins (ADMIN). They prove the
// whole chain works: browser session -> proxy -> this app -> Nextcloud as that user.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Nextcloud } from '../../lib/index.js';
import { isInvalidArgumentError, isNextcloudError, withSingleTimeout } from '../../lib/index.js';
import type { AppConfig } from '../config.js';
import { currentEndpoints } from './urls.js';
import type { PolicySource } from '../policy/policy.js';
import { PolicyUnavailableError } from '../policy/policy.js';
import type { Db } from '../store/database.js';
import { getMeta } from '../store/database.js';
import { html, sendPage } from './html.js';

export interface InfoDeps {
  config: AppConfig;
  nextcloud: Nextcloud;
  db: Db;
  policy: PolicySource;
}

export async function infoRoutes(app: FastifyInstance, { config, nextcloud, db, policy }: InfoDeps): Promise<void> {
  app.get('/', async (request, reply) => {
    const { urls } = await currentEndpoints(policy, config, request.headers);
    return sendPage(
      reply,
      config.appDisplayName,
      html`<h1>${config.appDisplayName} ${config.appVersion}</h1>
<p>This Nextcloud offers its Files, Calendar and Talk to AI assistants through the Model Context Protocol.</p>
<p>Connector URL for ChatGPT, Claude or any MCP client:</p>
<p><code id="connector-url">${urls.connector}</code></p>
<p>Signed in to Nextcloud? See and revoke the apps you connected under <a href="${urls.base}/connections">Connected apps</a>.</p>`,
    );
  });

  app.get('/api/v1/me', async (request, reply) => {
    const userId = requireUser(request, reply);
    if (userId === null) return reply;
    try {
      const me = await nextcloud.as(userId).currentUser();
      return { id: me.id, displayName: me.displayName, email: me.email, groups: me.groups };
    } catch (error) {
      // Nextcloud no longer acts as this user (disabled or deleted since the session began): nobody is signed in.
      if (isNextcloudError(error, 'unauthorized') || isInvalidArgumentError(error)) return reply.code(401).send({ error: 'not_signed_in', message: 'Nextcloud does not accept this account (disabled or deleted).' });
      throw error;
    }
  });

  app.get('/admin/api/v1/status', async (request, reply) =>
    // The page admins open when something is wrong: it answers even when Nextcloud does not, reporting what failed,
    // and waits for an unreachable Nextcloud once, not once per question.
    withSingleTimeout(async () => {
      const userId = requireUser(request, reply);
      if (userId === null) return reply;
      const [groups, capabilities, endpoints] = await Promise.allSettled([(async () => nextcloud.as(userId).groups())(), nextcloud.system().capabilities(), currentEndpoints(policy, config, request.headers)]);
      const problems: string[] = [];
      // The proxy already enforces the ADMIN route; checking again survives a bad manifest. When Nextcloud cannot be
      // asked, the admission by its own proxy is all there is, and the report is what the admin needs.
      if (groups.status === 'fulfilled' && !groups.value.includes('admin')) {
        return reply.code(403).send({ error: 'forbidden', message: `${userId} is not a Nextcloud administrator.` });
      }
      if (groups.status === 'rejected') {
        const refused = isInvalidArgumentError(groups.reason) || (isNextcloudError(groups.reason) && ['unauthorized', 'forbidden', 'not_found'].includes(groups.reason.code));
        if (refused) return reply.code(403).send({ error: 'forbidden', message: `Nextcloud did not confirm that ${userId} is an administrator: ${(groups.reason as Error).message}` });
        if (!isNextcloudError(groups.reason)) throw groups.reason;
        problems.push(`Checking that ${userId} is an administrator failed: ${groups.reason.message}`);
      }
      if (capabilities.status === 'rejected') {
        if (!isNextcloudError(capabilities.reason)) throw capabilities.reason;
        problems.push(`Reading Nextcloud's version failed: ${capabilities.reason.message}`);
      }
      if (endpoints.status === 'rejected') {
        if (!(endpoints.reason instanceof PolicyUnavailableError)) throw endpoints.reason;
        problems.push(endpoints.reason.message);
      }
      const inForce = endpoints.status === 'fulfilled' ? endpoints.value : null;
      const version = capabilities.status === 'fulfilled' ? capabilities.value.version.string : null;
      return {
        app: { id: config.appId, version: config.appVersion, registeredVersion: request.appApi.registeredVersion },
        connectorUrl: inForce?.urls.connector ?? null,
        publicBaseUrl: inForce?.urls.base ?? null,
        publicBaseUrlSource: inForce ? (inForce.policy.publicBaseUrl ? 'admin setting' : 'deployment') : null,
        nextcloud: {
          url: config.nextcloudUrl,
          reachable: version !== null,
          version,
          error: capabilities.status === 'rejected' ? (capabilities.reason as Error).message : null,
          /** Everything that failed while preparing this report, in words. */
          problems,
        },
        initCompletedAt: getMeta(db, 'init_completed_at') ?? null,
      };
    }),
  );
}

/** The proxy forwards anonymous visitors on PUBLIC routes with an empty user; these routes need a person. */
function requireUser(request: FastifyRequest, reply: FastifyReply): string | null {
  if (request.appApi.userId) return request.appApi.userId;
  void reply.code(401).send({ error: 'unauthorized', message: 'Log in to Nextcloud first.' });
  return null;
}
