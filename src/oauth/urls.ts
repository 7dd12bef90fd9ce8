// Every absolute URL the OAuth server and the MCP endpoint hand out. They derive from one public base URL (the
// admin's setting, else the deployment's), because the app cannot see which prefix a client used.
import type { AppConfig } from '../config.js';
import { HARP_PREFIX, PHP_PROXY_PREFIX, connectorUrl } from '../config.js';
import type { Policy, PolicySource } from '../policy/policy.js';

export interface PublicEndpoints {
  base: string;
  /** The authorization server's issuer: the public base itself (contract §8 option a). */
  issuer: string;
  /** The MCP endpoint URL, which is also the protected resource identifier and the tokens' audience. */
  resource: string;
  resourceMetadata: string;
  authorize: string;
  token: string;
  register: string;
  revoke: string;
  jwks: string;
  connections: string;
  /** The issuer and resource of the base and of each alias (a deployment reachable under two prefixes). */
  acceptedIssuers: string[];
  acceptedResources: string[];
  /** Nextcloud's login page, coming back to `returnTo` (an absolute URL under the same host) afterwards. */
  loginUrl(returnTo: string): string;
}

export function publicEndpoints(base: string, aliases: readonly string[], appId: string): PublicEndpoints {
  const bases = [base, ...aliases.filter((alias) => alias !== base)];
  return {
    base,
    issuer: base,
    resource: connectorUrl(base),
    resourceMetadata: `${base}/.well-known/oauth-protected-resource/mcp`,
    authorize: `${base}/oauth/authorize`,
    token: `${base}/oauth/token`,
    register: `${base}/oauth/register`,
    revoke: `${base}/oauth/revoke`,
    jwks: `${base}/oauth/jwks`,
    connections: `${base}/connections`,
    acceptedIssuers: bases,
    acceptedResources: bases.map(connectorUrl),
    loginUrl(returnTo) {
      const target = new URL(returnTo);
      // Nextcloud's login only follows a redirect_url on its own host, given as an absolute path.
      return `${nextcloudWebRoot(base, appId)}/index.php/login?redirect_url=${encodeURIComponent(target.pathname + target.search)}`;
    },
  };
}

/** Nextcloud's own URL as the public sees it: the public base without the proxy's suffix. */
export function nextcloudWebRoot(base: string, appId: string): string {
  for (const prefix of [PHP_PROXY_PREFIX, '/apps/app_api/proxy', HARP_PREFIX]) {
    const suffix = `${prefix}/${appId}`;
    if (base.endsWith(suffix)) return base.slice(0, -suffix.length);
  }
  return new URL(base).origin;
}

/** The policy in force and the public URLs it implies: the admin's base URL setting wins over the deployment's. */
export async function currentEndpoints(
  policySource: PolicySource,
  config: Pick<AppConfig, 'publicBaseUrl' | 'publicBaseAliases' | 'appId'>,
): Promise<{ policy: Policy; urls: PublicEndpoints }> {
  const policy = await policySource.current();
  return { policy, urls: publicEndpoints(policy.publicBaseUrl ?? config.publicBaseUrl, config.publicBaseAliases, config.appId) };
}
