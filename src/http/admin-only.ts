// Pages and APIs for Nextcloud admins sit on ADMIN routes, where the proxy admits only admins; the app checks the
// admin group again so a mistaken route declaration cannot open them to everyone.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Nextcloud } from '../../lib/index.js';
import { isInvalidArgumentError, isNextcloudError } from '../../lib/index.js';

/** The signed-in admin, or null after answering 404 (what the proxy shows to everyone else). */
export async function signedInAdmin(nextcloud: Nextcloud, request: FastifyRequest, reply: FastifyReply): Promise<string | null> {
  const userId = request.appApi.userId;
  if (userId && (await isAdmin(nextcloud, userId))) return userId;
  void reply.code(404).send({ error: 'not_found', message: 'This page is for Nextcloud administrators.' });
  return null;
}

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
