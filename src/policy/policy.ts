// The admin's policy: what the connector may expose and to whom. It lives in AppAPI's config values (the
// admin settings form writes them) and is read through lib/ with a short cache, so a change applies to every
// user and open session within `ttlMs` without a restart. A value that does not validate is reported in the
// log and the last good policy stays in force; nothing fails open.
import type { FastifyBaseLogger } from 'fastify';
import { z } from 'zod';
import type { Nextcloud } from '../../lib/index.js';
import type { Scope } from '../core/scopes.js';
import { SCOPES, WRITE_SCOPES, isScope } from '../core/scopes.js';
import type { RedirectRule } from './redirect-uris.js';
import { DEFAULT_REDIRECT_URIS, FORMER_DEFAULT_REDIRECT_HOSTS, parseRedirectRule, redirectRulesSchema } from './redirect-uris.js';
import { issuesText } from '../../lib/zod-issues.js';

/** Keys earlier releases' forms wrote, still read while their successor was never saved. */
export const formerPolicyKeys = {
  /** The host-only form of redirect_uris. */
  redirectHosts: 'redirect_hosts',
} as const;

/** The config keys the admin settings form writes. */
export const policyKeys = {
  publicBaseUrl: 'public_base_url',
  enabledScopes: 'enabled_scopes',
  readOnly: 'read_only',
  folderAllowlist: 'folder_allowlist',
  eligibleGroups: 'eligible_groups',
  dynamicRegistration: 'dynamic_registration',
  clientMetadataDocuments: 'client_metadata_documents',
  redirectUris: 'redirect_uris',
  accessTokenMinutes: 'access_token_minutes',
  refreshTokenDays: 'refresh_token_days',
  hiddenTags: 'hidden_tags',
  disabledTools: 'disabled_tools',
  confirmation: 'confirmation',
} as const;

/** When a person is asked before a tool call changes something: every change, only what cannot be undone, never. */
export const CONFIRMATION_MODES = ['always', 'destructive', 'never'] as const;
export type ConfirmationMode = (typeof CONFIRMATION_MODES)[number];

/**
 * Lists arrive as the settings form stores them: a JSON array, a JSON object of checkbox states
 * ({"files.read": true, ...}), or text separated by commas, spaces or new lines.
 */
const listValue = z.string().transform((raw, context): string[] => {
  const text = raw.trim();
  if (text === '') return [];
  if (text.startsWith('[') || text.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (Array.isArray(parsed) && parsed.every((item) => typeof item === 'string'))
        return parsed.map((item) => item.trim()).filter(Boolean);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
        return Object.entries(parsed as Record<string, unknown>)
          .filter(([, on]) => on === true || on === 1 || on === '1' || on === 'true')
          .map(([key]) => key);
      }
    } catch {
      // fall through to the error below
    }
    context.addIssue({ code: 'custom', message: 'is neither a JSON list nor a JSON object of checkboxes' });
    return z.NEVER;
  }
  return text.split(/[\s,]+/).filter(Boolean);
});

const switchValue = z
  .string()
  .trim()
  .toLowerCase()
  .refine((value) => ['', '0', '1', 'true', 'false', 'on', 'off', 'yes', 'no'].includes(value), 'must be on or off')
  .transform((value) => ['1', 'true', 'on', 'yes'].includes(value));

const numberValue = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .refine((value) => value >= min && value <= max, `must be between ${min} and ${max}`);

const defaultRedirectRules = (): RedirectRule[] => DEFAULT_REDIRECT_URIS.map((entry) => parseRedirectRule(entry) as RedirectRule);

export interface Policy {
  /** The admin's override of the public base URL, or null for the deployment default. */
  publicBaseUrl: string | null;
  /** The scopes the admin enabled, before read-only mode. */
  scopeCeiling: Scope[];
  /** What exists for clients: the ceiling, without write scopes in read-only mode. Scopes outside it exist for nobody. */
  enabledScopes: Scope[];
  readOnly: boolean;
  /** Top-level folders file tools are confined to; empty = the whole of each user's files. */
  folderAllowlist: string[];
  /** Groups whose members may connect; empty = every enabled user. */
  eligibleGroups: string[];
  /** Off: no client registers itself, and clients that did earlier are refused too. */
  dynamicRegistration: boolean;
  /** Off: clients identified by a metadata document URL are refused, those seen earlier included. */
  clientMetadataDocuments: boolean;
  /** Where a person may be sent back to; applies to every client, whenever it registered. */
  redirectRules: RedirectRule[];
  accessTokenSeconds: number;
  refreshTokenSeconds: number;
  /**
   * Names of system tags (restricted ones, so users cannot remove them) whose files and folders, with everything
   * below a tagged folder, no tool sees, reads or changes.
   */
  hiddenTags: string[];
  /** Tools the admin switched off: they exist for nobody, whatever a grant's scopes. */
  disabledTools: string[];
  /** When the person is asked before a change (see CONFIRMATION_MODES). */
  confirmation: ConfirmationMode;
}

export const DEFAULT_POLICY: Policy = {
  publicBaseUrl: null,
  scopeCeiling: [...SCOPES],
  enabledScopes: [...SCOPES],
  readOnly: false,
  folderAllowlist: [],
  eligibleGroups: [],
  dynamicRegistration: true,
  clientMetadataDocuments: true,
  redirectRules: defaultRedirectRules(),
  accessTokenSeconds: 15 * 60,
  refreshTokenSeconds: 30 * 24 * 3600,
  hiddenTags: [],
  disabledTools: [],
  confirmation: 'destructive',
};

/** One problem per key that did not validate; those keys keep their last good value. */
export interface PolicyProblem {
  key: string;
  message: string;
}

/** Turns the stored config values into a policy; keys that are absent take the default. */
export function parsePolicy(
  values: Record<string, string>,
  previous: Policy = DEFAULT_POLICY,
): { policy: Policy; problems: PolicyProblem[] } {
  const problems: PolicyProblem[] = [];
  // An absent key means the default (the admin cleared it); only an invalid one keeps the previous value.
  const read = <T>(key: string, schema: z.ZodType<T, string>, fallback: T, byDefault: T): T => {
    const raw = values[key];
    if (raw === undefined) return byDefault;
    const parsed = schema.safeParse(raw);
    if (parsed.success) return parsed.data;
    problems.push({ key, message: issuesText(parsed.error.issues) });
    return fallback;
  };
  const url = z
    .string()
    .trim()
    .transform((value, context) => {
      if (value === '') return null;
      const parsed = z.url({ protocol: /^https?$/ }).safeParse(value);
      if (!parsed.success) {
        context.addIssue({ code: 'custom', message: 'must be an http(s) URL' });
        return z.NEVER;
      }
      return parsed.data.replace(/\/+$/, '');
    });
  const scopes = listValue.transform((list, context): Scope[] => {
    const unknown = list.filter((scope) => !isScope(scope));
    if (unknown.length > 0) {
      context.addIssue({ code: 'custom', message: `names unknown scopes: ${unknown.join(', ')}` });
      return z.NEVER;
    }
    return SCOPES.filter((scope) => list.includes(scope));
  });
  const folders = listValue.transform((list, context): string[] => {
    const bad = list.filter((folder) => !folder.startsWith('/') || folder.split('/').some((part) => part === '..' || part === '.'));
    if (bad.length > 0) {
      context.addIssue({ code: 'custom', message: `must be absolute folder paths like /Projects, not ${bad.join(', ')}` });
      return z.NEVER;
    }
    return list.map((folder) => folder.replace(/\/+$/, '') || '/');
  });
  const groups = listValue.pipe(z.array(z.string().min(1).max(255)));
  // Tag names may hold spaces ("Legal hold"), so only commas and new lines separate them.
  const tagNames = z
    .string()
    .transform((raw) => (raw.trim().startsWith('[') ? raw : JSON.stringify(raw.split(/[,\n]/).map((name) => name.trim()))))
    .pipe(listValue)
    .pipe(z.array(z.string().min(1).max(255)));
  const toolNames = listValue.pipe(z.array(z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'must be tool names like files_delete')));
  const confirmation = z.string().trim().toLowerCase().pipe(z.enum(CONFIRMATION_MODES));
  const redirects = listValue.pipe(redirectRulesSchema);

  const readOnly = read(policyKeys.readOnly, switchValue, previous.readOnly, DEFAULT_POLICY.readOnly);
  const ceiling = read(policyKeys.enabledScopes, scopes, previous.scopeCeiling, DEFAULT_POLICY.scopeCeiling);
  const policy: Policy = {
    publicBaseUrl: read(policyKeys.publicBaseUrl, url, previous.publicBaseUrl, DEFAULT_POLICY.publicBaseUrl),
    scopeCeiling: ceiling,
    enabledScopes: readOnly ? ceiling.filter((scope) => !WRITE_SCOPES.has(scope)) : ceiling,
    readOnly,
    folderAllowlist: read(policyKeys.folderAllowlist, folders, previous.folderAllowlist, DEFAULT_POLICY.folderAllowlist),
    eligibleGroups: read(policyKeys.eligibleGroups, groups, previous.eligibleGroups, DEFAULT_POLICY.eligibleGroups),
    dynamicRegistration: read(
      policyKeys.dynamicRegistration,
      switchValue,
      previous.dynamicRegistration,
      DEFAULT_POLICY.dynamicRegistration,
    ),
    clientMetadataDocuments: read(
      policyKeys.clientMetadataDocuments,
      switchValue,
      previous.clientMetadataDocuments,
      DEFAULT_POLICY.clientMetadataDocuments,
    ),
    redirectRules: read(
      policyKeys.redirectUris,
      redirects,
      previous.redirectRules,
      formerRedirectHosts(values[formerPolicyKeys.redirectHosts]),
    ),
    accessTokenSeconds: read(
      policyKeys.accessTokenMinutes,
      numberValue(1, 24 * 60).transform((minutes) => minutes * 60),
      previous.accessTokenSeconds,
      DEFAULT_POLICY.accessTokenSeconds,
    ),
    refreshTokenSeconds: read(
      policyKeys.refreshTokenDays,
      numberValue(1, 365).transform((days) => days * 24 * 3600),
      previous.refreshTokenSeconds,
      DEFAULT_POLICY.refreshTokenSeconds,
    ),
    hiddenTags: read(policyKeys.hiddenTags, tagNames, previous.hiddenTags, DEFAULT_POLICY.hiddenTags),
    disabledTools: read(policyKeys.disabledTools, toolNames, previous.disabledTools, DEFAULT_POLICY.disabledTools),
    confirmation: read(policyKeys.confirmation, confirmation, previous.confirmation, DEFAULT_POLICY.confirmation),
  };
  // An empty list would lock every client out silently; an admin who wants that turns off both kinds of client.
  if (policy.redirectRules.length === 0) policy.redirectRules = defaultRedirectRules();
  return { policy, problems };
}

/**
 * The host list an admin saved before the setting named URIs still applies (hosts remain valid entries), unless it
 * is the former default: that one stood for "ChatGPT, Claude and loopback", which the exact callbacks now say.
 */
function formerRedirectHosts(raw: string | undefined): RedirectRule[] {
  if (raw === undefined) return defaultRedirectRules();
  const parsed = listValue.pipe(redirectRulesSchema).safeParse(raw);
  if (!parsed.success || parsed.data.length === 0) return defaultRedirectRules();
  const entries = listValue.parse(raw).map((entry) => entry.toLowerCase());
  const former = new Set<string>(FORMER_DEFAULT_REDIRECT_HOSTS);
  if (entries.length === former.size && entries.every((entry) => former.has(entry))) return defaultRedirectRules();
  return parsed.data;
}

export class PolicyUnavailableError extends Error {
  readonly code = 'policy_unavailable';
  constructor(reason: string) {
    super(`The admin settings could not be read from Nextcloud (${reason}); try again shortly.`);
  }
}

/** How long a request waits for a reload of the policy before it is served the copy it replaces. */
const STALE_AFTER_MS = 1000;

export interface PolicySource {
  /** The policy in force, at most `ttlMs` old. */
  current(): Promise<Policy>;
  /** Forgets the cached copy (after the app itself changed a value). */
  invalidate(): void;
}

export interface PolicySourceOptions {
  ttlMs: number;
  log: FastifyBaseLogger;
  staleAfterMs?: number;
  /** Epoch milliseconds; the cache's age and the retry after a failed read go by it. */
  now?: () => number;
  /** The wait before the stale copy is served; tests pass timers that fire when they advance their clock. */
  setTimeout?: (callback: () => void, ms: number) => unknown;
  clearTimeout?: (timer: unknown) => void;
}

/**
 * Reads the policy from AppAPI's config values. Concurrent callers share one read; when Nextcloud cannot be
 * reached, or takes longer than `staleAfterMs`, the last good policy stays in force (before the first successful
 * read, current() waits for it, and rejects when it fails).
 */
export function createPolicySource(nextcloud: Nextcloud, options: PolicySourceOptions): PolicySource {
  const now = options.now ?? Date.now;
  // The wait must not keep the process alive on its own.
  const startTimer = options.setTimeout ?? ((callback: () => void, ms: number) => setTimeout(callback, ms).unref());
  const stopTimer = options.clearTimeout ?? ((timer: unknown) => clearTimeout(timer as NodeJS.Timeout));
  let cached: { policy: Policy; at: number } | undefined;
  let pending: Promise<Policy> | undefined;
  let lastProblems = '';
  const load = async (): Promise<Policy> => {
    const previous = cached?.policy ?? DEFAULT_POLICY;
    try {
      const values = await nextcloud.system().config.get([...Object.values(policyKeys), ...Object.values(formerPolicyKeys)]);
      const { policy, problems } = parsePolicy(values, previous);
      const summary = JSON.stringify(problems);
      if (problems.length > 0 && summary !== lastProblems) {
        options.log.error({ problems }, 'admin settings hold invalid values; those settings keep their last good value');
      }
      lastProblems = summary;
      cached = { policy, at: now() };
      return policy;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // Before the first good read there is no policy to keep; refusing is safer than assuming the defaults.
      if (!cached) throw new PolicyUnavailableError(message);
      options.log.warn({ err: message }, 'could not read the admin settings; the last good policy stays in force');
      // Retry soon, but not on every request.
      cached = { policy: previous, at: now() - options.ttlMs + Math.min(options.ttlMs, 2000) };
      return previous;
    }
  };
  return {
    async current() {
      if (cached && now() - cached.at < options.ttlMs) return cached.policy;
      pending ??= load().finally(() => {
        pending = undefined;
      });
      if (!cached) return pending;
      // With a copy at hand, a slow or unreachable Nextcloud costs a request a moment, not a full timeout: the copy
      // is served and the reload goes on for the requests after it.
      const stale = cached.policy;
      let timer: unknown;
      const patience = new Promise<Policy>((resolve) => {
        timer = startTimer(() => resolve(stale), options.staleAfterMs ?? STALE_AFTER_MS);
      });
      return Promise.race([pending, patience]).finally(() => stopTimer(timer));
    },
    invalidate() {
      cached = undefined;
    },
  };
}
