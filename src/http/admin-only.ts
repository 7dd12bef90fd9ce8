// Pages and APIs for Nextcloud admins sit on ADMIN routes, where the proxy admits only admins; the app checks the
// admin group again so a mistaken route declaration cannot open them to everyone.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Nextcloud } from '../../lib/index.js';

/** The signed-in admin, or null after answering 404 (what the proxy shows to everyone else). */
export async function signedInAdmin(nextcloud: Nextcloud, request: FastifyRequest, reply: FastifyReply): Promise<string | null> {
  const userId = request.appApi.userId;
  if (userId && (await nextcloud.as(userId).groups()).includes('admin')) return userId;
  void reply.code(404).send({ error: 'not_found', message: 'This page is for Nextcloud administrators.' });
  return null;
}
