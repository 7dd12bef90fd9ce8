// The occ commands the simulator understands, with Nextcloud's argument shapes, so README instructions and
// `make demo` use the same lines an admin types on a real server.
import fs from 'node:fs';
import type { SimContext } from '../context.js';
import type { AppApiLifecycle } from './lifecycle.js';
import { ManifestError, parseInfoXml, parseJsonInfo } from './manifest.js';

export interface OccResult {
  code: number;
  output: string;
}

function splitArgs(args: string[]): { positional: string[]; options: Map<string, string | true> } {
  const positional: string[] = [];
  const options = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      if (eq !== -1) options.set(arg.slice(2, eq), arg.slice(eq + 1));
      else if (args[i + 1] !== undefined && !args[i + 1]!.startsWith('--') && VALUE_OPTIONS.has(arg.slice(2))) options.set(arg.slice(2), args[++i]!);
      else options.set(arg.slice(2), true);
    } else {
      positional.push(arg);
    }
  }
  return { positional, options };
}

const VALUE_OPTIONS = new Set(['json-info', 'info-xml', 'harp_shared_key', 'harp_frp_address', 'net', 'value', 'sim-socket']);

export async function runOcc(ctx: SimContext, lifecycle: AppApiLifecycle, args: string[]): Promise<OccResult> {
  const { positional, options } = splitArgs(args);
  const [command, ...rest] = positional;
  try {
    switch (command) {
      case 'app_api:daemon:register': {
        const [name, , kind, , host] = rest;
        if (!name || kind !== 'manual-install' || !host) return { code: 1, output: 'Usage: app_api:daemon:register <name> <display-name> manual-install <http|https> <host> <nextcloud_url> [--harp]' };
        if (/^[a-z]+:\/\//i.test(host)) return { code: 1, output: 'Host must not contain a protocol.' };
        if (lifecycle.daemons.has(name)) return { code: 0, output: `Daemon ${name} already registered.` };
        const sock = options.get('sim-socket');
        lifecycle.daemons.set(name, { name, host: host.replace(/:\d+$/, ''), harp: options.has('harp'), socketPath: typeof sock === 'string' ? sock : undefined });
        return { code: 0, output: `Daemon config successfully registered.` };
      }
      case 'app_api:app:register': {
        const [appId, daemon] = rest;
        if (!appId || !daemon) return { code: 1, output: 'Usage: app_api:app:register <appid> <daemon> [--json-info JSON | --info-xml PATH] [--wait-finish]' };
        const json = options.get('json-info');
        const xml = options.get('info-xml');
        const manifest = typeof json === 'string' ? parseJsonInfo(json, appId) : typeof xml === 'string' ? parseInfoXml(fs.readFileSync(xml, 'utf8')) : null;
        if (!manifest) return { code: 1, output: 'The simulator has no app store: pass --json-info or --info-xml.' };
        const app = await lifecycle.register(manifest, daemon, { waitFinish: options.has('wait-finish') });
        return { code: 0, output: `ExApp ${app.id} successfully registered.${app.status.init === 100 ? ' Initialized and enabled.' : ''}` };
      }
      case 'app_api:app:enable':
      case 'app_api:app:disable': {
        const app = ctx.state.apps.get(rest[0] ?? '');
        if (!app) return { code: 1, output: `ExApp ${rest[0]} not found.` };
        const error = command.endsWith('enable') ? await lifecycle.enable(app) : await lifecycle.disable(app);
        return error ? { code: 1, output: error } : { code: 0, output: `ExApp ${app.id} successfully ${command.endsWith('enable') ? 'enabled' : 'disabled'}.` };
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
        if (!appId || !key || typeof value !== 'string') return { code: 1, output: 'Usage: app_api:app:config:set <appid> <key> --value VALUE' };
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
        user.groups = command === 'group:adduser' ? [...new Set([...user.groups, groupId])] : user.groups.filter((group) => group !== groupId);
        return { code: 0, output: `User ${user.id} ${command === 'group:adduser' ? 'added to' : 'removed from'} group ${groupId}` };
      }
      default:
        return { code: 1, output: `Command "${command ?? ''}" is not defined in the simulator.` };
    }
  } catch (error) {
    return { code: 1, output: error instanceof ManifestError ? `Invalid manifest: ${error.message}` : (error as Error).message };
  }
}
