// Small routes that are reachable through Nextcloud's proxy today: a landing page, the caller's own Nextcloud
// identity (PUBLIC, checked here: 401 without a session) and a status report for admins (ADMIN). They prove the
// whole chain works: browser session -> proxy -> this app -> Nextcloud as that user.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Nextcloud } from '../../lib/index.js';
import { isNextcloudError } from '../../lib/index.js';
import type { AppConfig } from '../config.js';
import { currentEndpoints } from '../oauth/urls.js';
import type { PolicySource } from '../policy/policy.js';
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
    const me = await nextcloud.as(userId).currentUser();
    return { id: me.id, displayName: me.displayName, email: me.email, groups: me.groups };
  });

  app.get('/admin/api/v1/status', async (request, reply) => {
    const userId = requireUser(request, reply);
    if (userId === null) return reply;
    // The proxy already enforces the ADMIN route; checking again costs one call and survives a bad manifest.
    const groups = await nextcloud.as(userId).groups();
    if (!groups.includes('admin')) {
      return reply.code(403).send({ error: 'forbidden', message: `${userId} is not a Nextcloud administrator.` });
    }
    const { policy: inForce, urls } = await currentEndpoints(policy, config, request.headers);
    let nextcloudVersion: string | null = null;
    let nextcloudError: string | null = null;
    try {
      nextcloudVersion = (await nextcloud.system().capabilities()).version.string;
    } catch (error) {
      nextcloudError = isNextcloudError(error) ? error.message : String(error);
    }
    return {
      app: { id: config.appId, version: config.appVersion, registeredVersion: request.appApi.registeredVersion },
      connectorUrl: urls.connector,
      publicBaseUrl: urls.base,
      publicBaseUrlSource: inForce.publicBaseUrl ? 'admin setting' : 'deployment',
      nextcloud: { url: config.nextcloudUrl, version: nextcloudVersion, error: nextcloudError },
      initCompletedAt: getMeta(db, 'init_completed_at') ?? null,
    };
  });
}

/** The proxy forwards anonymous visitors on PUBLIC routes with an empty user; these routes need a person. */
function requireUser(request: FastifyRequest, reply: FastifyReply): string | null {
  if (request.appApi.userId) return request.appApi.userId;
  void reply.code(401).send({ error: 'unauthorized', message: 'Log in to Nextcloud first.' });
  return null;
}
