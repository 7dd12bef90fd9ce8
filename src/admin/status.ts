// The status report for admins (ADMIN route). It checks the admin group itself instead of registering adminOnly: it
// must answer, naming what failed, even when Nextcloud cannot confirm who is an admin, and it refuses others with 403.
import type { FastifyInstance } from 'fastify';
import type { Nextcloud } from '../../lib/index.js';
import { isInvalidArgumentError, isNextcloudError, withSingleTimeout } from '../../lib/index.js';
import type { AppConfig } from '../config.js';
import { personOnly } from '../http/info-routes.js';
import type { EndpointSource } from '../http/urls.js';
import { PolicyUnavailableError } from '../policy/policy.js';
import type { Db } from '../store/database.js';
import { getMeta } from '../store/database.js';

export interface StatusDeps {
  config: AppConfig;
  nextcloud: Nextcloud;
  db: Db;
  endpoints: EndpointSource;
}

export async function statusRoutes(app: FastifyInstance, { config, nextcloud, db, endpoints }: StatusDeps): Promise<void> {
  app.get('/admin/api/v1/status', { preHandler: personOnly }, async (request, reply) =>
    // The page admins open when something is wrong: it answers even when Nextcloud does not, reporting what failed,
    // and waits for an unreachable Nextcloud once, not once per question.
    withSingleTimeout(async () => {
      const userId = request.appApi.userId;
      const [groups, capabilities, current] = await Promise.allSettled([
        (async () => nextcloud.as(userId).groups())(),
        nextcloud.system().capabilities(),
        endpoints.current(request),
      ]);
      const problems: string[] = [];
      // The proxy already enforces the ADMIN route; checking again survives a bad manifest. When Nextcloud cannot be
      // asked, the admission by its own proxy is all there is, and the report is what the admin needs.
      if (groups.status === 'fulfilled' && !groups.value.includes('admin')) {
        return reply.code(403).send({ error: 'forbidden', message: `${userId} is not a Nextcloud administrator.` });
      }
      if (groups.status === 'rejected') {
        const refused =
          isInvalidArgumentError(groups.reason) ||
          (isNextcloudError(groups.reason) && ['unauthorized', 'forbidden', 'not_found'].includes(groups.reason.code));
        if (refused)
          return reply.code(403).send({
            error: 'forbidden',
            message: `Nextcloud did not confirm that ${userId} is an administrator: ${(groups.reason as Error).message}`,
          });
        if (!isNextcloudError(groups.reason)) throw groups.reason;
        problems.push(`Checking that ${userId} is an administrator failed: ${groups.reason.message}`);
      }
      if (capabilities.status === 'rejected') {
        if (!isNextcloudError(capabilities.reason)) throw capabilities.reason;
        problems.push(`Reading Nextcloud's version failed: ${capabilities.reason.message}`);
      }
      if (current.status === 'rejected') {
        if (!(current.reason instanceof PolicyUnavailableError)) throw current.reason;
        problems.push(current.reason.message);
      }
      const inForce = current.status === 'fulfilled' ? current.value : null;
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
