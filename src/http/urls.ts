// Every absolute URL the OAuth server and the MCP endpoints hand out. A client reaches the app through one of two
// entrances: Nextcloud's PHP proxy (every deployment) or HaRP (deployments whose daemon is HaRP). RFC 9728 wants
// the protected resource a 401 points to to be the very URL the client called, so each entrance is its own
// issuer and each of its MCP URLs (/mcp, and the legacy /sse) its own resource, with tokens accepted only there.
import type { IncomingHttpHeaders } from 'node:http';
import type { AppConfig } from '../config.js';
import { HARP_PREFIX, PHP_PROXY_PREFIX, connectorUrl } from '../config.js';
import { secretsEqual } from '../core/secrets.js';
import type { Policy, PolicySource } from '../policy/policy.js';

/**
 * Where a request came in. The PHP proxy always adds X-Origin-IP (replacing any the client sent); HaRP's browser
 * path adds none but passes on one a client sent (see originSetByPhpProxy). Without HaRP, a request without it
 * reached the app directly (a manual install's own proxy).
 */
export type Entrance = 'php' | 'harp' | 'direct';

/** The MCP URLs that are protected resources: Streamable HTTP and the legacy HTTP+SSE stream. */
export type McpPath = 'mcp' | 'sse';
export const MCP_PATHS: readonly McpPath[] = ['mcp', 'sse'];

export interface PublicEndpoints {
  entrance: Entrance;
  base: string;
  /** This entrance's authorization server issuer: its public base itself (contract §8 option a). */
  issuer: string;
  /** The connector URL of this entrance (its /mcp). */
  resource: string;
  /** The connector URL shown to people (admin form, landing page): the configured base's, whatever the entrance. */
  connector: string;
  /** The protected resource identifier of one MCP URL of this entrance, and the tokens' audience there. */
  resourceOf(path: McpPath): string;
  /** Where that resource's metadata is served (absolute, for the 401's resource_metadata). */
  resourceMetadataOf(path: McpPath): string;
  /** The audiences a token presented at this entrance's MCP URL may carry (its base and its aliases). */
  audiencesOf(path: McpPath): string[];
  authorize: string;
  token: string;
  register: string;
  revoke: string;
  jwks: string;
  connections: string;
  /** Whether a response may stay open here: never behind the PHP proxy, which buffers whole responses. */
  streaming: boolean;
  /** The HaRP base of a HaRP deployment (where event streams work), else null. */
  harpBase: string | null;
  /** Every issuer and every resource of every entrance and alias: a grant made at one may be used at another. */
  acceptedIssuers: string[];
  acceptedResources: string[];
  /** Nextcloud's login page, coming back to `returnTo` (an absolute URL under the same host) afterwards. */
  loginUrl(returnTo: string): string;
}

export interface EntranceBases {
  configured: string;
  php: string;
  harp: string;
  phpAliases: string[];
  harpAliases: string[];
  /** Whether the deployment's daemon is HaRP, so that requests without X-Origin-IP came through it. */
  harpDeployed: boolean;
}

/** Where the proxies put an app under Nextcloud (with and without index.php for the PHP proxy). */
const PROXY_PREFIXES = [
  { prefix: PHP_PROXY_PREFIX, form: 'php' },
  { prefix: '/apps/app_api/proxy', form: 'php' },
  { prefix: HARP_PREFIX, form: 'harp' },
] as const;

/** Which proxy a public base is the form of, and Nextcloud's web root before it; null for any other URL. */
function proxyForm(base: string, appId: string): { form: 'php' | 'harp'; webRoot: string } | null {
  for (const { prefix, form } of PROXY_PREFIXES) {
    const suffix = `${prefix}/${appId}`;
    if (base.endsWith(suffix)) return { form, webRoot: base.slice(0, -suffix.length) };
  }
  return null;
}

/**
 * The public base of each entrance, from the configured one: a PHP-proxy or HaRP base names its sibling under the
 * same Nextcloud; a base of neither form (an admin's own reverse proxy) stands for both.
 */
export function entranceBases(configured: string, aliases: readonly string[], appId: string, harpDeployed: boolean): EntranceBases {
  const known = proxyForm(configured, appId);
  const php = known?.form === 'harp' ? `${known.webRoot}${PHP_PROXY_PREFIX}/${appId}` : configured;
  const harp = known?.form === 'php' ? `${known.webRoot}${HARP_PREFIX}/${appId}` : configured;
  const others = aliases.filter((alias) => alias !== php && alias !== harp);
  const isHarpForm = (alias: string) => proxyForm(alias, appId)?.form === 'harp';
  return {
    configured,
    php,
    harp,
    phpAliases: others.filter((alias) => !isHarpForm(alias)),
    harpAliases: others.filter(isHarpForm),
    harpDeployed,
  };
}

/**
 * Whether a request's X-Origin-IP was set by Nextcloud's PHP proxy. The PHP proxy replaces any a client sent, but
 * HaRP's browser path forwards a client's headers untouched, so behind HaRP a client can send its own. There the
 * request must also carry the daemon's shared key, which AppAPI adds to every request it signs (the PHP proxy's
 * included) and HaRP checks on them; a client does not know it. HaRP's direct-connect and Kubernetes modes do not
 * give the app the key, so it cannot tell the two apart there: X-Origin-IP is believed, as without HaRP.
 */
export function originSetByPhpProxy(headers: IncomingHttpHeaders, harpSharedKey: string | undefined): boolean {
  if (headers['x-origin-ip'] === undefined) return false;
  if (harpSharedKey === undefined) return true;
  const given = headers['harp-shared-key'];
  return typeof given === 'string' && secretsEqual(given, harpSharedKey);
}

/** `harpSharedKey` is set exactly when the app is deployed behind HaRP's FRP tunnel (see AppConfig). */
export function entranceOf(headers: IncomingHttpHeaders | undefined, harpSharedKey: string | undefined): Entrance {
  if (headers && originSetByPhpProxy(headers, harpSharedKey)) return 'php';
  return harpSharedKey !== undefined ? 'harp' : 'direct';
}

export function publicEndpoints(bases: EntranceBases, entrance: Entrance, appId: string, jsonOnly = false): PublicEndpoints {
  const own = entrance === 'harp' ? [bases.harp, ...bases.harpAliases] : [bases.php, ...bases.phpAliases];
  const base = own[0]!;
  const every = [...new Set([bases.php, ...bases.phpAliases, ...(bases.harpDeployed ? [bases.harp, ...bases.harpAliases] : [])])];
  const resourceOf = (path: McpPath) => `${base}/${path}`;
  return {
    entrance,
    base,
    issuer: base,
    resource: resourceOf('mcp'),
    connector: connectorUrl(bases.configured),
    resourceOf,
    resourceMetadataOf: (path) => `${base}/.well-known/oauth-protected-resource/${path}`,
    audiencesOf: (path) => own.map((candidate) => `${candidate}/${path}`),
    authorize: `${base}/oauth/authorize`,
    token: `${base}/oauth/token`,
    register: `${base}/oauth/register`,
    revoke: `${base}/oauth/revoke`,
    jwks: `${base}/oauth/jwks`,
    connections: `${base}/connections`,
    streaming: entrance !== 'php' && !jsonOnly,
    harpBase: bases.harpDeployed ? bases.harp : null,
    acceptedIssuers: every,
    acceptedResources: every.flatMap((candidate) => MCP_PATHS.map((path) => `${candidate}/${path}`)),
    loginUrl(returnTo) {
      const target = new URL(returnTo);
      // Nextcloud's login only follows a redirect_url on its own host, given as an absolute path.
      return `${nextcloudWebRoot(base, appId)}/index.php/login?redirect_url=${encodeURIComponent(target.pathname + target.search)}`;
    },
  };
}

/** Nextcloud's own URL as the public sees it: the public base without the proxy's suffix. */
export function nextcloudWebRoot(base: string, appId: string): string {
  return proxyForm(base, appId)?.webRoot ?? new URL(base).origin;
}

export type EndpointConfig = Pick<AppConfig, 'publicBaseUrl' | 'publicBaseAliases' | 'appId' | 'harpSharedKey' | 'responseMode'>;

/**
 * The policy in force and the public URLs of the entrance a request came through (without a request: the PHP
 * proxy's, which every deployment has). The admin's base URL setting wins over the deployment's.
 */
export async function currentEndpoints(
  policySource: PolicySource,
  config: EndpointConfig,
  headers?: IncomingHttpHeaders,
): Promise<{ policy: Policy; urls: PublicEndpoints }> {
  const policy = await policySource.current();
  const harpDeployed = config.harpSharedKey !== undefined;
  const entrance = headers === undefined ? 'php' : entranceOf(headers, config.harpSharedKey);
  // The URLs follow from the policy and the configuration alone, which change rarely, while every request asks.
  let forConfig = builtFor.get(policy);
  if (!forConfig) builtFor.set(policy, (forConfig = new WeakMap()));
  let byEntrance = forConfig.get(config);
  if (!byEntrance) forConfig.set(config, (byEntrance = new Map()));
  let urls = byEntrance.get(entrance);
  if (!urls) {
    const bases = entranceBases(policy.publicBaseUrl ?? config.publicBaseUrl, config.publicBaseAliases, config.appId, harpDeployed);
    byEntrance.set(entrance, (urls = publicEndpoints(bases, entrance, config.appId, config.responseMode === 'json')));
  }
  return { policy, urls };
}

/**
 * Where routes learn the policy in force and the public URLs of the entrance a request came through, bound once to
 * the app's policy source and configuration.
 */
export interface EndpointSource {
  /** Without a request: the PHP proxy's URLs. */
  current(request?: { headers: IncomingHttpHeaders }): ReturnType<typeof currentEndpoints>;
  /** Whether the request's X-Origin-IP is the PHP proxy's, so the client's address (see originSetByPhpProxy). */
  originTrusted(request: { headers: IncomingHttpHeaders }): boolean;
}

export function endpointSource(policySource: PolicySource, config: EndpointConfig): EndpointSource {
  return {
    current: (request) => currentEndpoints(policySource, config, request?.headers),
    originTrusted: (request) => originSetByPhpProxy(request.headers, config.harpSharedKey),
  };
}

/** The endpoints built for a policy in force and a configuration, per entrance; dropped with the policy. */
const builtFor = new WeakMap<Policy, WeakMap<EndpointConfig, Map<Entrance, PublicEndpoints>>>();
