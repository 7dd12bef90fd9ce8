// Nextcloud apps that may be missing or limited to groups (Notes, Deck ...), and how their index.php routes fail
// then (more-apps.md §0, §7): not installed is no route at all (404), installed but not for this user's groups is
// AppFramework's 412 "App is not enabled", no user is 401.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SimContext, SimState, SimUser } from './context.js';

/** What index.php answers where no route matches (an app that is not installed, an id that is none): an HTML 404. */
export function noRoute(reply: FastifyReply): FastifyReply {
  return reply.code(404).type('text/html; charset=utf-8').send('<!DOCTYPE html><html><body>Page not found</body></html>');
}

export function appInstalled(state: SimState, appId: string): boolean {
  return state.nextcloudApps.has(appId);
}

export function appEnabledFor(state: SimState, appId: string, user: SimUser): boolean {
  const app = state.nextcloudApps.get(appId);
  return app !== undefined && (app.groups.length === 0 || app.groups.some((group) => user.groups.includes(group)));
}

/**
 * The user of an AppFramework (index.php) request to an app's controller, or null after answering the failure as
 * Nextcloud would. Sends JSON as for an `Accept: application/json` client.
 */
export function requireAppUser(ctx: SimContext, appId: string, request: FastifyRequest, reply: FastifyReply): SimUser | null {
  if (!appInstalled(ctx.state, appId)) {
    void noRoute(reply);
    return null;
  }
  const user = request.nc.user;
  if (!user || !user.enabled) {
    void reply.code(401).send({ message: 'Current user is not logged in' });
    return null;
  }
  if (!appEnabledFor(ctx.state, appId, user)) {
    void reply.code(412).send({ message: 'App is not enabled' });
    return null;
  }
  return user;
}

/** core/navigation/apps: the apps the user may open, as the Nextcloud menu lists them. */
export function navigationEntries(ctx: SimContext, user: SimUser): Record<string, unknown>[] {
  const names: Record<string, string> = {
    files: 'Files',
    calendar: 'Calendar',
    spreed: 'Talk',
    contacts: 'Contacts',
    tasks: 'Tasks',
    notes: 'Notes',
    deck: 'Deck',
  };
  return [...ctx.state.nextcloudApps.keys()]
    .filter((id) => appEnabledFor(ctx.state, id, user))
    .map((id, order) => ({
      id,
      order,
      href: `${ctx.baseUrl()}/index.php/apps/${id}/`,
      icon: `${ctx.baseUrl()}/apps/${id}/img/app.svg`,
      type: 'link',
      name: names[id] ?? id,
      active: false,
      classes: '',
      unread: 0,
    }));
}
