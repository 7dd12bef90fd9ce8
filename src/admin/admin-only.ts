// Pages and APIs for Nextcloud admins sit on ADMIN routes, where the proxy admits only admins; the app checks the
// admin group again so a mistaken route declaration cannot open them to everyone.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Nextcloud } from '../../lib/index.js';
import { isInvalidArgumentError, isNextcloudError } from '../../lib/index.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in admin; set only on routes behind adminOnly. */
    adminId: string;
  }
}

/**
 * Registered inside a plugin, guards every route of that plugin: whoever is not a signed-in admin gets the 404 the
 * proxy shows to everyone else. A hook after body parsing, so a malformed body is answered as before the check.
 */
async function guardAdminRoutes(app: FastifyInstance, { nextcloud }: { nextcloud: Nextcloud }): Promise<void> {
  app.decorateRequest('adminId', '');
  app.addHook('preHandler', async (request, reply) => {
    const userId = request.appApi.userId;
    if (userId && (await isAdmin(nextcloud, userId))) {
      request.adminId = userId;
      return;
    }
    return reply.code(404).send({ error: 'not_found', message: 'This page is for Nextcloud administrators.' });
  });
}

/** Without encapsulation: the hook must reach the routes of the plugin that registers it. */
export const adminOnly = fp(guardAdminRoutes);

async function isAdmin(nextcloud: Nextcloud, userId: string): Promise<boolean> {
  try {
    return (await nextcloud.as(userId).groups()).includes('admin');
  } catch (error) {
    // A user id Nextcloud could not have, or Nextcloud refusing to act as this user (unknown, disabled since): no
    // admin is signed in. A Nextcloud that cannot answer at all stays the error it is.
    if (isInvalidArgumentError(error) || isNextcloudError(error, 'unauthorized')) return false;
    throw error;
  }
}
