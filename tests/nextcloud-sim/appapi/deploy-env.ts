// The container environment AppAPI builds when it deploys an ExApp on a Docker daemon (Docker Socket Proxy or
// HaRP): DockerActions::buildDeployParams / buildDeployEnvs, with the declared variables as getAppInfo (<= 34) or
// ExAppEnvVarsHelper (35) leave them. Manual-install daemons inject nothing.
import type { AppApiGeneration } from './generations.js';
import { appApiGeneration } from './generations.js';
import type { Manifest } from './manifest.js';

export interface DeployEnvironmentOptions {
  /** The AppAPI release (default 35.0.0), or its generation. */
  appApiVersion?: string | AppApiGeneration;
  secret: string;
  port: number;
  /** The daemon's nextcloud_url, used as given (AppAPI does not trim it). */
  nextcloudUrl: string;
  /** Default `/nc_app_<appid>_data` (the named volume's mount point). */
  storage?: string;
  /** The daemon's Docker network; AppAPI stores `host` when none was given. */
  net?: string;
  /** The daemon's OVERRIDE_APP_HOST additional option. */
  overrideAppHost?: string;
  computeDevice?: 'cpu' | 'cuda' | 'rocm';
  /** HaRP daemons. Without exappDirect (the FRP tunnel), the app listens on 127.0.0.1 and gets the HP_* variables. */
  harp?: { sharedKey: string; frpAddress: string; frpPort?: string | number; exappDirect?: boolean };
  /** `occ app_api:app:register … --env NAME=VALUE` (repeatable): as pairs, or as the raw option values. */
  env?: Record<string, string> | string[];
}

/** Register.php: each --env value is split at its first "="; one without "=" is ignored. */
export function parseEnvOptions(values: string[]): Record<string, string> {
  const result: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    if (eq !== -1) result[value.slice(0, eq)] = value.slice(eq + 1);
  }
  return result;
}

/** PHP's sprintf('%s') of a value: arrays become "Array" (with a warning), booleans "1" / "". */
function phpFormat(value: unknown): string {
  if (value === null || value === undefined || value === false) return '';
  if (value === true) return '1';
  if (typeof value === 'object') return 'Array';
  return String(value);
}

/** The declared variables with their final values, as getAppInfo (<= 34) or ExAppEnvVarsHelper (35) return them. */
function declaredValues(manifest: Manifest, generation: AppApiGeneration, overrides: Record<string, string>): [string, string][] {
  if (manifest.source === 'json-info' && !generation.manifest.environmentVariablesFromJsonInfo) {
    // <= 34 leaves --json-info's external-app.environment-variables untouched (and ignores --env for it);
    // buildDeployEnvs then reads `$vars[$name]['value'] ?? ''` for each key.
    const raw = manifest.rawEnvironment;
    if (!raw || typeof raw !== 'object') return [];
    return Object.entries(raw as Record<string, unknown>).map(([name, entry]) => {
      const value = entry && typeof entry === 'object' && !Array.isArray(entry) ? (entry as Record<string, unknown>).value : undefined;
      return [name, phpFormat(value)];
    });
  }
  const values = new Map<string, unknown>();
  for (const variable of manifest.environmentVariables) {
    // An empty element decodes to [] (truthy for the "not ''" filter, "Array" when formatted) before 35.
    const initial = variable.defaultElement === 'empty' && generation.manifest.emptyDefaultBecomesArray ? [] : variable.default;
    values.set(variable.name, initial);
  }
  for (const [name, value] of Object.entries(overrides)) {
    if (values.has(name)) values.set(name, value); // undeclared names are dropped
  }
  return [...values].filter(([, value]) => value !== '').map(([name, value]) => [name, phpFormat(value)]);
}

export function deployEnvironment(manifest: Manifest, options: DeployEnvironmentOptions): Record<string, string> {
  const generation = typeof options.appApiVersion === 'object' ? options.appApiVersion : appApiGeneration(options.appApiVersion);
  const net = options.net ?? 'host';
  const frpMode = options.harp !== undefined && !options.harp.exappDirect;
  // AppAPICommonService::buildExAppHost
  const host = frpMode
    ? '127.0.0.1'
    : options.overrideAppHost !== undefined
      ? options.overrideAppHost
      : net === 'host'
        ? '127.0.0.1'
        : '0.0.0.0';
  const device = options.computeDevice ?? 'cpu';
  const entries: [string, string][] = [
    ['AA_VERSION', generation.reportedVersion],
    ['APP_SECRET', options.secret],
    ['APP_ID', manifest.id],
    ['APP_DISPLAY_NAME', manifest.name],
    ['APP_VERSION', manifest.version],
    ['APP_HOST', host],
    ['APP_PORT', String(options.port)],
    ['APP_PERSISTENT_STORAGE', options.storage ?? `/nc_app_${manifest.id}_data`],
    ['NEXTCLOUD_URL', options.nextcloudUrl],
    ['COMPUTE_DEVICE', device.toUpperCase()],
  ];
  if (device === 'cuda') entries.push(['NVIDIA_VISIBLE_DEVICES', 'all'], ['NVIDIA_DRIVER_CAPABILITIES', 'compute,utility']);
  const overrides = Array.isArray(options.env) ? parseEnvOptions(options.env) : (options.env ?? {});
  entries.push(...declaredValues(manifest, generation, overrides));
  if (frpMode) {
    const [frpHost, frpPort] = options.harp!.frpAddress.split(':');
    entries.push(
      ['HP_FRP_ADDRESS', frpHost ?? ''],
      ['HP_FRP_PORT', String(options.harp!.frpPort ?? frpPort ?? '')],
      ['HP_SHARED_KEY', options.harp!.sharedKey],
    );
  }
  // A list of NAME=VALUE for Docker: a later duplicate wins.
  return Object.fromEntries(entries);
}
