// The occ commands the simulator understands, with Nextcloud's argument shapes, so README instructions and
// `make demo` use the same lines an admin types on a real server.
import fs from 'node:fs';
import type { SimContext } from '../context.js';
import { parseEnvOptions } from './deploy-env.js';
import type { AppApiLifecycle } from './lifecycle.js';
import { ManifestError, parseInfoXml, parseJsonInfo } from './manifest.js';

export interface OccResult {
  code: number;
  output: string;
}

function splitArgs(args: string[]): { positional: string[]; options: Map<string, string | true>; repeated: Map<string, string[]> } {
  const positional: string[] = [];
  const options = new Map<string, string | true>();
  const repeated = new Map<string, string[]>();
  const set = (name: string, value: string | true) => {
    options.set(name, value);
    if (REPEATABLE_OPTIONS.has(name) && typeof value === 'string') repeated.set(name, [...(repeated.get(name) ?? []), value]);
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      if (eq !== -1) set(arg.slice(2, eq), arg.slice(eq + 1));
      else if (args[i + 1] !== undefined && !args[i + 1]!.startsWith('--') && VALUE_OPTIONS.has(arg.slice(2)))
        set(arg.slice(2), args[++i]!);
      else set(arg.slice(2), true);
    } else {
      positional.push(arg);
    }
  }
  return { positional, options, repeated };
}

const VALUE_OPTIONS = new Set([
  'json-info',
  'info-xml',
  'harp_shared_key',
  'harp_frp_address',
  'harp_docker_socket_port',
  'haproxy_password',
  'compute_device',
  'net',
  'value',
  'env',
  'mount',
  'sim-socket',
  'sim-port',
]);
const REPEATABLE_OPTIONS = new Set(['env', 'mount']);

export async function runOcc(ctx: SimContext, lifecycle: AppApiLifecycle, args: string[]): Promise<OccResult> {
  const { positional, options, repeated } = splitArgs(args);
  const [command, ...rest] = positional;
  try {
    switch (command) {
      case 'app_api:daemon:register': {
        // RegisterDaemon: <name> <display-name> <accepts-deploy-id> <protocol> <host> <nextcloud_url>
        const [name, , kind, protocol, host, nextcloudUrl] = rest;
        const usage =
          'Usage: app_api:daemon:register <name> <display-name> <manual-install|docker-install> <http|https> <host> <nextcloud_url> [--net NET] [--haproxy_password PW] [--harp --harp_frp_address HOST:PORT --harp_shared_key KEY] [--compute_device cpu|cuda|rocm]';
        if (!name || !kind || !protocol || !host || !nextcloudUrl) return { code: 1, output: usage };
        if (kind !== 'manual-install' && kind !== 'docker-install')
          return { code: 1, output: `The simulator models manual-install and docker-install daemons, not ${kind}.` };
        if (protocol !== 'http' && protocol !== 'https') return { code: 1, output: 'Value error: The protocol must be `http` or `https`.' };
        const harp = options.has('harp');
        const sharedKey = options.get('harp_shared_key');
        const frpAddress = options.get('harp_frp_address');
        if (harp && typeof sharedKey !== 'string')
          return { code: 1, output: 'Value error: HaRP enabled daemon requires `harp_shared_key` option.' };
        if (harp && typeof frpAddress !== 'string')
          return { code: 1, output: 'Value error: HaRP enabled daemon requires `harp_frp_address` option.' };
        if (/^[a-z]+:\/\//i.test(host)) return { code: 1, output: 'Host must not contain a protocol.' };
        const notes: string[] = [];
        if (kind === 'manual-install' && !harp && host.includes(':')) {
          notes.push(
            "Warning: The host contains a port, which will be ignored for manual-install daemons. The ExApp's port from --json-info will be used instead.",
          );
        }
        if (kind === 'docker-install' && !harp && ctx.generation.daemons.dspDeprecationWarning) {
          notes.push(
            'Warning: Direct Docker access (Docker Socket Proxy) is deprecated and will be removed in Nextcloud 35. Please register a HaRP-based daemon instead (pass --harp).',
          );
        }
        if (lifecycle.daemons.has(name))
          return { code: 0, output: [...notes, `Registration skipped, as the daemon config \`${name}\` already exists.`].join('\n') };
        const sock = options.get('sim-socket');
        const password = harp ? sharedKey : options.get('haproxy_password');
        const device = options.get('compute_device');
        const net = options.get('net');
        lifecycle.daemons.set(name, {
          name,
          host: kind === 'manual-install' ? host.replace(/:\d+$/, '') : host,
          harp,
          socketPath: typeof sock === 'string' ? sock : undefined,
          acceptsDeployId: kind,
          protocol,
          nextcloudUrl,
          net: typeof net === 'string' ? net : 'host',
          haproxyPassword: typeof password === 'string' ? password : '',
          computeDevice: device === 'cuda' || device === 'rocm' ? device : 'cpu',
          harpFrpAddress: typeof frpAddress === 'string' ? frpAddress : undefined,
          harpExappDirect: options.has('harp_exapp_direct'),
        });
        return { code: 0, output: [...notes, 'Daemon successfully registered.'].join('\n') };
      }
      case 'app_api:app:register': {
        const [appId, daemon] = rest;
        if (!appId || !daemon)
          return {
            code: 1,
            output:
              'Usage: app_api:app:register <appid> <daemon> [--json-info JSON | --info-xml PATH] [--env NAME=VALUE]... [--wait-finish]',
          };
        const json = options.get('json-info');
        const xml = options.get('info-xml');
        const manifest =
          typeof json === 'string'
            ? parseJsonInfo(json, appId, ctx.generation)
            : typeof xml === 'string'
              ? parseInfoXml(fs.readFileSync(xml, 'utf8'), ctx.generation)
              : null;
        if (!manifest) return { code: 1, output: 'The simulator has no app store: pass --json-info or --info-xml.' };
        // Docker daemons: the simulator runs no containers; --sim-port names the app process AppAPI's port stands for.
        const simPort = options.get('sim-port');
        if (manifest.port === undefined && typeof simPort === 'string') manifest.port = Number(simPort);
        if (ctx.state.apps.has(manifest.id)) return { code: 3, output: `ExApp ${manifest.id} is already registered.` };
        const app = await lifecycle.register(manifest, daemon, {
          waitFinish: options.has('wait-finish'),
          env: parseEnvOptions(repeated.get('env') ?? []),
        });
        return { code: 0, output: `ExApp ${app.id} successfully registered.${app.status.init === 100 ? ' Initialized and enabled.' : ''}` };
      }
      case 'twofactorauth:enable':
      case 'twofactorauth:disable': {
        const [userId, provider = 'totp'] = rest;
        const user = ctx.state.users.get(userId ?? '');
        if (!user) return { code: 1, output: 'Invalid UID' };
        if (provider !== 'totp') return { code: 2, output: `The provider ${provider} does not exist in the simulator (only totp).` };
        user.twoFactor = command === 'twofactorauth:enable';
        return { code: 0, output: `Two-factor provider ${provider} ${user.twoFactor ? 'enabled' : 'disabled'} for user ${user.id}.` };
      }
      case 'app_api:app:enable':
      case 'app_api:app:disable': {
        const app = ctx.state.apps.get(rest[0] ?? '');
        if (!app) return { code: 1, output: `ExApp ${rest[0]} not found.` };
        const error = command.endsWith('enable') ? await lifecycle.enable(app) : await lifecycle.disable(app);
        return error
          ? { code: 1, output: error }
          : { code: 0, output: `ExApp ${app.id} successfully ${command.endsWith('enable') ? 'enabled' : 'disabled'}.` };
      }
      case 'app_api:app:unregister': {
        const app = ctx.state.apps.get(rest[0] ?? '');
        if (!app) return { code: 1, output: `ExApp ${rest[0]} not found.` };
        if (app.enabled) await lifecycle.disable(app);
        lifecycle.unregister(app.id);
        return { code: 0, output: `ExApp ${app.id} successfully unregistered.` };
      }
      case 'app_api:app:config:set': {
        const [appId, key] = rest;
        const value = options.get('value');
        if (!appId || !key || typeof value !== 'string')
          return { code: 1, output: 'Usage: app_api:app:config:set <appid> <key> --value VALUE' };
        const values = ctx.state.appConfig.get(appId) ?? new Map();
        values.set(key, { value, sensitive: options.has('sensitive') });
        ctx.state.appConfig.set(appId, values);
        return { code: 0, output: `ExApp ${appId} config value ${key} set.` };
      }
      case 'user:disable':
      case 'user:enable': {
        const user = ctx.state.users.get(rest[0] ?? '');
        if (!user) return { code: 1, output: 'User does not exist' };
        user.enabled = command === 'user:enable';
        return { code: 0, output: `The specified user is ${user.enabled ? 'enabled' : 'disabled'}` };
      }
      case 'group:adduser':
      case 'group:removeuser': {
        const [groupId, userId] = rest;
        const user = ctx.state.users.get(userId ?? '');
        if (!user || !groupId || !ctx.state.groups.has(groupId)) return { code: 1, output: 'Group or user does not exist' };
        user.groups =
          command === 'group:adduser' ? [...new Set([...user.groups, groupId])] : user.groups.filter((group) => group !== groupId);
        return { code: 0, output: `User ${user.id} ${command === 'group:adduser' ? 'added to' : 'removed from'} group ${groupId}` };
      }
      default:
        return { code: 1, output: `Command "${command ?? ''}" is not defined in the simulator.` };
    }
  } catch (error) {
    return { code: 1, output: error instanceof ManifestError ? `Invalid manifest: ${error.message}` : (error as Error).message };
  }
}
