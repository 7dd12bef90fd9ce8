// provisioning_api and capabilities: the current user, a user's groups, and the capabilities document.
import type { FastifyInstance } from 'fastify';
import type { SimContext, SimUser } from '../context.js';
import { ocsErrors, requireOcsUser, sendOcs } from '../ocs.js';
import { appInstalled, navigationEntries } from '../apps.js';
import { isAdmin } from '../state.js';

const OCS = ['/ocs/v1.php', '/ocs/v2.php'];

function userDetails(user: SimUser) {
  return {
    id: user.id,
    enabled: user.enabled,
    storageLocation: `/var/www/html/data/${user.id}`,
    lastLogin: 0,
    backend: 'Database',
    subadmin: [],
    quota: { free: 10737418240, used: 1048576, total: 10738466816, relative: 0.01, quota: -3 },
    email: user.email,
    additional_mail: [],
    displayname: user.displayName,
    'display-name': user.displayName,
    phone: '',
    address: '',
    website: '',
    twitter: '',
    fediverse: '',
    organisation: '',
    role: '',
    headline: '',
    biography: '',
    profile_enabled: '1',
    groups: user.groups,
    language: user.language,
    locale: user.locale,
    notify_email: null,
    backendCapabilities: { setDisplayName: true, setPassword: true },
  };
}

export function registerProvisioningRoutes(app: FastifyInstance, ctx: SimContext): void {
  for (const base of OCS) {
    app.get(`${base}/cloud/user`, async (request, reply) => {
      const user = requireOcsUser(request, reply);
      if (!user) return reply;
      // "enabled" is only shown to admins and subadmins of the user, never in a self lookup.
      const { enabled: _enabled, ...self } = userDetails(user);
      return sendOcs(request, reply, { data: self });
    });

    app.get<{ Params: { userId: string } }>(`${base}/cloud/users/:userId`, async (request, reply) => {
      const caller = requireOcsUser(request, reply);
      if (!caller) return reply;
      const target = ctx.state.users.get(request.params.userId);
      if (!target || (caller.id !== target.id && !isAdmin(caller)))
        return sendOcs(request, reply, { ...ocsErrors.notFound('User does not exist'), statuscode: 998 });
      const details = userDetails(target);
      if (caller.id === target.id && !isAdmin(caller)) delete (details as Partial<typeof details>).enabled;
      return sendOcs(request, reply, { data: details });
    });

    app.get<{ Params: { userId: string } }>(`${base}/cloud/users/:userId/groups`, async (request, reply) => {
      const caller = requireOcsUser(request, reply);
      if (!caller) return reply;
      const target = ctx.state.users.get(request.params.userId);
      if (!target || (caller.id !== target.id && !isAdmin(caller)))
        return sendOcs(request, reply, { ...ocsErrors.notFound(), statuscode: 998 });
      return sendOcs(request, reply, { data: { groups: target.groups } });
    });

    app.get(`${base}/core/navigation/apps`, async (request, reply) => {
      const caller = requireOcsUser(request, reply);
      if (!caller) return reply;
      return sendOcs(request, reply, { data: navigationEntries(ctx, caller) });
    });

    app.get(`${base}/cloud/capabilities`, async (request, reply) => {
      const { major, minor, micro, string } = ctx.serverVersion;
      const capabilities: Record<string, unknown> = {
        core: { pollinterval: 60, 'webdav-root': 'remote.php/webdav', 'reference-api': true, 'mod-rewrite-working': false },
        dav: { chunking: '1.0', bulkupload: '1.0' },
        files: { bigfilechunking: true, undelete: true, versioning: true },
        app_api: request.nc.user || request.nc.appId ? { loglevel: 2, version: ctx.appApiVersion } : { version: ctx.appApiVersion },
      };
      // Instance-wide: an app limited to some groups is listed for everyone (more-apps.md §7).
      if (appInstalled(ctx.state, 'notes'))
        capabilities.notes = { api_version: ['0.2', '1.3', '1.4'], version: '6.0.2', notes_path: 'Notes' };
      if (appInstalled(ctx.state, 'deck')) capabilities.deck = { version: '1.17.0', canCreateBoards: true, apiVersions: ['1.0', '1.1'] };
      capabilities.systemtags = { enabled: true };
      if (request.nc.user) {
        capabilities.spreed = {
          features: [
            'conversation-v4',
            'chat-v2',
            'chat-read-marker',
            'chat-read-last',
            'chat-reference-id',
            'silent-send',
            'read-only-rooms',
            'chat-keep-notifications',
            'unified-search',
            'markdown-messages',
          ],
          'features-local': [],
          config: { chat: { 'max-length': 32000, 'read-privacy': 0 }, conversations: { 'can-create': true } },
          'config-local': {},
          version: '21.1.0',
        };
      }
      return sendOcs(request, reply, {
        data: { version: { major, minor, micro, string, edition: '', extendedSupport: false }, capabilities },
      });
    });
  }
}
