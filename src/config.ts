// Configuration comes from the environment AppAPI injects (or the operator sets for manual installs).
// Validated once at start-up; every error names the variable so an admin can fix it.
import path from 'node:path';
import { z } from 'zod';
import type { TrustedIssuer } from './core/trusted-issuers.js';
import { parseTrustedIssuers } from './core/trusted-issuers.js';
import { issueText } from '../lib/zod-issues.js';

/** Where the AppAPI PHP proxy exposes an ExApp under the Nextcloud URL (works for every daemon type). */
export const PHP_PROXY_PREFIX = '/index.php/apps/app_api/proxy';
/** HaRP's direct path; only for deployments whose daemon is HaRP. */
export const HARP_PREFIX = '/exapps';

const httpUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL, e.g. https://cloud.example.com' })
  .transform((value) => value.replace(/\/+$/, ''));

/** A comma-separated variable, each item checked by `item`. */
const commaList = <T extends z.ZodType<unknown, string>>(item: T) =>
  z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((entry) => entry.trim())
        .filter(Boolean),
    )
    .pipe(z.array(item));

const envSchema = z.object({
  APP_ID: z
    .string()
    .regex(/^[a-z][a-z0-9_]*$/, 'must be a Nextcloud app id like mcp_gateway')
    .default('mcp_gateway'),
  APP_SECRET: z.string().min(16, 'must be the shared secret AppAPI registered (at least 16 characters)'),
  APP_VERSION: z.string().min(1, 'must be the registered app version'),
  APP_DISPLAY_NAME: z.string().default('MCP Gateway'),
  APP_HOST: z.string().min(1).default('127.0.0.1'),
  APP_PORT: z.coerce.number().int().min(1).max(65535, 'must be a TCP port (1-65535)').default(23000),
  NEXTCLOUD_URL: httpUrl,
  APP_PERSISTENT_STORAGE: z.string().min(1).default('./data'),
  AA_VERSION: z.string().default(''),
  HP_SHARED_KEY: z.string().optional(),
  HP_EXAPP_SOCK: z.string().default('/tmp/exapp.sock'),
  /** Public base URL of the app as clients see it; defaults to NEXTCLOUD_URL + PHP proxy prefix + app id. */
  MCP_GATEWAY_PUBLIC_URL: httpUrl.optional(),
  /** Further public base URLs clients may use (e.g. the HaRP form next to the PHP-proxy one), comma-separated. */
  MCP_GATEWAY_PUBLIC_URL_ALIASES: commaList(httpUrl).default([]),
  /** JSON list of external OpenID providers whose access tokens are accepted (see the README). */
  MCP_GATEWAY_TRUSTED_ISSUERS: z.string().default(''),
  /** How long policy and account facts (enabled, groups) are cached: the bound for admin changes to apply. */
  MCP_GATEWAY_POLICY_TTL_SECONDS: z.coerce.number().min(0).max(300).default(30),
  /** Seconds a rotated refresh token still works for the same client, so parallel refreshes do not revoke the grant; 0 = strict. */
  MCP_GATEWAY_REFRESH_REUSE_GRACE_SECONDS: z.coerce.number().int().min(0).max(60).default(10),
  /**
   * How the MCP endpoints answer: auto (decided per request: JSON behind Nextcloud's PHP proxy, which buffers whole
   * responses; event streams, progress and the legacy SSE transport where the request came through HaRP) or json
   * (JSON everywhere, no held-open response). The former value sse means auto: the PHP proxy can never stream.
   */
  MCP_GATEWAY_RESPONSE_MODE: z.enum(['auto', 'json', 'sse']).default('auto'),
  /** MCP sessions end after this long without a request. */
  MCP_GATEWAY_SESSION_IDLE_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(7 * 86_400)
    .default(4 * 3600),
  /** MCP sessions kept open at once (the least recently used ends first). */
  MCP_GATEWAY_MAX_SESSIONS: z.coerce.number().int().min(10).max(100_000).default(2000),
  /** Browser origins allowed to call the MCP endpoints besides Nextcloud's own and loopback, comma-separated. */
  MCP_GATEWAY_ALLOWED_ORIGINS: commaList(z.union([z.literal('*'), httpUrl.transform((value) => new URL(value).origin)])).default([]),
  /** Days the audit log of tool calls is kept. */
  MCP_GATEWAY_AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Timeout for every call to Nextcloud, in milliseconds. */
  NEXTCLOUD_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
});

export type AppConfig = ReturnType<typeof toConfig>;

export class ConfigError extends Error {
  readonly code = 'invalid_config';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}

/**
 * AppAPI 32-34 hand an empty manifest `<default></default>` to the container as the literal string "Array", and
 * replay stored deploy options on every update, so an install registered with an older manifest keeps passing it.
 * No variable of ours has "Array" as a meaningful value: it means "not set".
 */
const APPAPI_EMPTY_DEFAULT = 'Array';

/** What AppAPI sets itself in every container (contract: buildDeployEnvs); the rest are the manifest's own. */
export const APPAPI_INJECTED_VARIABLES = [
  'APP_ID',
  'APP_SECRET',
  'APP_VERSION',
  'APP_DISPLAY_NAME',
  'APP_HOST',
  'APP_PORT',
  'NEXTCLOUD_URL',
  'APP_PERSISTENT_STORAGE',
  'AA_VERSION',
  'HP_SHARED_KEY',
  'HP_EXAPP_SOCK',
] as const;

/** The variables an admin sets: each is declared in appinfo/info.xml, as AppAPI passes only declared ones. */
export const DECLARED_VARIABLES = Object.keys(envSchema.shape).filter(
  (name) => !(APPAPI_INJECTED_VARIABLES as readonly string[]).includes(name),
);

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const ignored: string[] = [];
  // Empty strings are how AppAPI passes "not set" for declared variables; treat them as absent.
  const present = Object.fromEntries(
    Object.entries(env).filter(([name, value]) => {
      if (value === undefined || value === '') return false;
      if (value === APPAPI_EMPTY_DEFAULT && DECLARED_VARIABLES.includes(name)) {
        ignored.push(name);
        return false;
      }
      return true;
    }),
  );
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = issue.path.join('.');
        return issue.code === 'invalid_type' && present[name] === undefined ? `${name} is not set` : issueText(issue, { field: String });
      }),
    );
  }
  let trustedIssuers: TrustedIssuer[];
  try {
    trustedIssuers = parseTrustedIssuers(parsed.data.MCP_GATEWAY_TRUSTED_ISSUERS);
  } catch (error) {
    throw new ConfigError([`MCP_GATEWAY_TRUSTED_ISSUERS ${(error as Error).message}`]);
  }
  const warnings = ignored.map(
    (name) => `${name} is "${APPAPI_EMPTY_DEFAULT}", which AppAPI passes for an empty manifest default; treated as not set`,
  );
  if (parsed.data.MCP_GATEWAY_RESPONSE_MODE === 'sse') {
    warnings.push(
      'MCP_GATEWAY_RESPONSE_MODE=sse is treated as auto: event streams are served where the request came through HaRP, never behind the PHP proxy, which buffers whole responses',
    );
  }
  return toConfig(parsed.data, trustedIssuers, warnings);
}

function toConfig(env: z.infer<typeof envSchema>, trustedIssuers: TrustedIssuer[], warnings: string[]) {
  const defaultPublicBase = `${env.NEXTCLOUD_URL}${PHP_PROXY_PREFIX}/${env.APP_ID}`;
  return {
    appId: env.APP_ID,
    appSecret: env.APP_SECRET,
    appVersion: env.APP_VERSION,
    appDisplayName: env.APP_DISPLAY_NAME,
    aaVersion: env.AA_VERSION,
    nextcloudUrl: env.NEXTCLOUD_URL,
    nextcloudTimeoutMs: env.NEXTCLOUD_TIMEOUT_MS,
    storageDir: path.resolve(env.APP_PERSISTENT_STORAGE),
    /**
     * The HaRP daemon's shared key, given only in HaRP's FRP mode: AppAPI adds it to every request it signs, which
     * tells the PHP proxy's requests from a client's. Never logged.
     */
    harpSharedKey: env.HP_SHARED_KEY,
    /** HaRP's FRP tunnel connects to a unix socket; everything else reaches us over TCP. */
    listen: env.HP_SHARED_KEY
      ? ({ kind: 'socket', path: env.HP_EXAPP_SOCK } as const)
      : ({ kind: 'tcp', host: env.APP_HOST, port: env.APP_PORT } as const),
    publicBaseUrl: env.MCP_GATEWAY_PUBLIC_URL ?? defaultPublicBase,
    publicBaseAliases: env.MCP_GATEWAY_PUBLIC_URL_ALIASES,
    trustedIssuers,
    policyTtlMs: env.MCP_GATEWAY_POLICY_TTL_SECONDS * 1000,
    refreshReuseGraceSeconds: env.MCP_GATEWAY_REFRESH_REUSE_GRACE_SECONDS,
    logLevel: env.LOG_LEVEL,
    responseMode: env.MCP_GATEWAY_RESPONSE_MODE === 'json' ? ('json' as const) : ('auto' as const),
    sessions: { idleMs: env.MCP_GATEWAY_SESSION_IDLE_SECONDS * 1000, max: env.MCP_GATEWAY_MAX_SESSIONS, maxPerOwner: 20, maxPerUser: 50 },
    allowedOrigins: env.MCP_GATEWAY_ALLOWED_ORIGINS,
    auditRetentionDays: env.MCP_GATEWAY_AUDIT_RETENTION_DAYS,
    /** Problems in the environment that did not stop the start-up; logged once the logger exists. */
    warnings,
  };
}

/** The URL an admin pastes into ChatGPT or Claude. */
export function connectorUrl(publicBaseUrl: string): string {
  return `${publicBaseUrl}/mcp`;
}
