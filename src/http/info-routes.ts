// Small routes that are reachable through Nextcloud's proxy today: a landing page and the caller's own Nextcloud
// identity (PUBLIC, checked here: 401 without a session). They prove the whole chain works: browser session ->
// proxy -> this app -> Nextcloud as that user.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Nextcloud } from '../../lib/index.js';
import { isInvalidArgumentError, isNextcloudError } from '../../lib/index.js';
import type { AppConfig } from '../config.js';
import type { EndpointSource } from './urls.js';
import { html, sendPage } from './html.js';

export interface InfoDeps {
  config: AppConfig;
  nextcloud: Nextcloud;
  endpoints: EndpointSource;
}

export async function infoRoutes(app: FastifyInstance, { config, nextcloud, endpoints }: InfoDeps): Promise<void> {
  app.get('/', async (request, reply) => {
    const { urls } = await endpoints.current(request);
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

  app.get('/api/v1/me', { preHandler: personOnly }, async (request, reply) => {
    const userId = request.appApi.userId;
    try {
      const me = await nextcloud.as(userId).currentUser();
      return { id: me.id, displayName: me.displayName, email: me.email, groups: me.groups };
    } catch (error) {
      // Nextcloud no longer acts as this user (disabled or deleted since the session began): nobody is signed in.
      if (isNextcloudError(error, 'unauthorized') || isInvalidArgumentError(error))
        return reply.code(401).send({ error: 'not_signed_in', message: 'Nextcloud does not accept this account (disabled or deleted).' });
      throw error;
    }
  });
}

/**
 * The gate of a route that needs a person: the proxy forwards anonymous visitors on PUBLIC routes with an empty
 * user, who get 401. Past it, `request.appApi.userId` names the person.
 */
export async function personOnly(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (!request.appApi.userId) return reply.code(401).send({ error: 'unauthorized', message: 'Log in to Nextcloud first.' });
}
