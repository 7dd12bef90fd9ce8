// The gateway's answers to AppAPI's lifecycle calls (lib/appapi/lifecycle.ts): registering its settings forms on
// enable, removing them on disable, and preparing the database on init.
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { LifecycleAnswer, LifecycleCallbacks } from '../../lib/appapi/lifecycle.js';
import { LIFECYCLE_ROUTES, lifecycleHandlers } from '../../lib/appapi/lifecycle.js';
import type { Nextcloud } from '../../lib/index.js';
import type { AppConfig } from '../config.js';
import type { PolicySource } from '../policy/policy.js';
import { ADMIN_FORM_ID, LEGACY_FORM_IDS, PERSONAL_FORM_ID, adminSettingsForm, personalSettingsEntry } from '../policy/settings-form.js';
import type { Db } from '../store/database.js';
import { migrate, setMeta } from '../store/database.js';
import { currentEndpoints } from './urls.js';

/** Progress 100 makes Nextcloud call /heartbeat and /enabled before it answers, so that call may take long. */
const FINAL_PROGRESS_TIMEOUT_MS = 120_000;

export interface LifecycleDeps {
  config: AppConfig;
  nextcloud: Nextcloud;
  db: Db;
  policy: PolicySource;
  /** When /init's work starts after its answer; see LifecycleCallbacks.defer. */
  defer?: (work: () => void) => void;
  /** Epoch milliseconds, for the time init completed. */
  now?: () => number;
  /** The tools the admin form lets the admin switch off one by one. */
  tools?: readonly { name: string; title: string }[];
}

export function gatewayLifecycle(deps: LifecycleDeps): LifecycleCallbacks<FastifyBaseLogger> {
  const settings = () => deps.nextcloud.system().settings;
  return {
    displayName: 'MCP Gateway',
    defer: deps.defer,
    onInit: (log) => runInit(deps, log),
    async onEnabled(log) {
      // Enabling is when an admin expects changed settings to show; read them fresh.
      deps.policy.invalidate();
      const { policy, urls } = await currentEndpoints(deps.policy, deps.config);
      // A form left by an earlier release (same field ids) would break the whole admin settings page.
      for (const legacy of LEGACY_FORM_IDS) await settings().unregisterForm(legacy);
      await settings().registerForm(adminSettingsForm(urls.connector, deps.config.policyTtlMs / 1000, policy.redirectRules, deps.tools));
      await settings().registerForm(personalSettingsEntry(urls.connector, urls.connections));
      log.info('enabled: admin settings form and personal entry registered');
    },
    async onDisabled(log) {
      for (const formId of [ADMIN_FORM_ID, PERSONAL_FORM_ID, ...LEGACY_FORM_IDS]) await settings().unregisterForm(formId);
      log.info('disabled: settings forms removed');
    },
    onError: (log, { message }) => log.error({ err: message }, 'enable/disable failed'),
  };
}

export async function lifecycleRoutes(app: FastifyInstance, deps: LifecycleDeps): Promise<void> {
  const handlers = lifecycleHandlers(gatewayLifecycle(deps));
  for (const route of LIFECYCLE_ROUTES) {
    app.route({
      method: route.method,
      url: route.url,
      config: { unauthenticated: !route.signed },
      handler: async (request, reply) => {
        const answer: LifecycleAnswer =
          route.handler === 'enabled' ? await handlers.enabled(request.query, request.log) : handlers[route.handler](request.log);
        return reply.code(answer.status).send(answer.body);
      },
    });
  }
}

export async function runInit({ nextcloud, db, now = Date.now }: LifecycleDeps, log: FastifyBaseLogger): Promise<void> {
  const system = nextcloud.system();
  let progress = 0;
  const report = async (next: number) => {
    progress = next;
    await system.setInitProgress(next);
  };
  try {
    await report(10);
    const { applied } = migrate(db);
    log.info({ applied }, 'init: database ready');
    await report(50);
    // Proves both directions of AppAPI authentication work before we say we are ready.
    await system.capabilities();
    await report(90);
    setMeta(db, 'init_completed_at', new Date(now()).toISOString());
    progress = 100;
    await system.setInitProgress(100, undefined, { timeoutMs: FINAL_PROGRESS_TIMEOUT_MS });
    log.info('init: finished');
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log.error({ err: message, progress }, 'init failed');
    await system.setInitProgress(progress, `MCP Gateway initialisation failed: ${message}`).catch((reportError: unknown) => {
      log.error({ err: String(reportError) }, 'init: could not report the failure to Nextcloud');
    });
  }
}
