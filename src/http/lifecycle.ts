// The three endpoints AppAPI itself calls: heartbeat (unsigned), init and enabled (signed, empty user).
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Nextcloud } from '../../lib/index.js';
import type { AppConfig } from '../config.js';
import { ADMIN_FORM_ID, LEGACY_FORM_IDS, PERSONAL_FORM_ID, adminSettingsForm, personalSettingsEntry } from '../settings/admin-form.js';
import { currentEndpoints } from './urls.js';
import type { PolicySource } from '../policy/policy.js';
import type { Db } from '../store/database.js';
import { migrate, setMeta } from '../store/database.js';

/** Progress 100 makes Nextcloud call /heartbeat and /enabled before it answers, so that call may take long. */
const FINAL_PROGRESS_TIMEOUT_MS = 120_000;

const enabledQuery = z.object({ enabled: z.enum(['0', '1']) });

export interface LifecycleDeps {
  config: AppConfig;
  nextcloud: Nextcloud;
  db: Db;
  policy: PolicySource;
}

export async function lifecycleRoutes(app: FastifyInstance, deps: LifecycleDeps): Promise<void> {
  app.get('/heartbeat', { config: { unauthenticated: true } }, async () => ({ status: 'ok' }));

  app.post('/init', async (request) => {
    // AppAPI waits at most 30 s for this answer; the work and its progress reports happen afterwards.
    setImmediate(() => void runInit(deps, request.log));
    return {};
  });

  app.put('/enabled', async (request, reply) => {
    const query = enabledQuery.safeParse(request.query);
    if (!query.success) {
      return reply.code(400).send({ error: 'The query parameter "enabled" must be 1 or 0.' });
    }
    const settings = deps.nextcloud.system().settings;
    try {
      if (query.data.enabled === '1') {
        // Enabling is when an admin expects changed settings to show; read them fresh.
        deps.policy.invalidate();
        const { policy, urls } = await currentEndpoints(deps.policy, deps.config);
        // A form left by an earlier release (same field ids) would break the whole admin settings page.
        for (const legacy of LEGACY_FORM_IDS) await settings.unregisterForm(legacy);
        await settings.registerForm(adminSettingsForm(urls.connector, deps.config.policyTtlMs / 1000, policy.redirectRules));
        await settings.registerForm(personalSettingsEntry(urls.connector, urls.connections));
        request.log.info('enabled: admin settings form and personal entry registered');
      } else {
        for (const formId of [ADMIN_FORM_ID, PERSONAL_FORM_ID, ...LEGACY_FORM_IDS]) await settings.unregisterForm(formId);
        request.log.info('disabled: settings forms removed');
      }
      return { error: '' };
    } catch (error) {
      // AppAPI ignores the status code and reads only this field; a non-empty string aborts enabling.
      const message = error instanceof Error ? error.message : String(error);
      request.log.error({ err: message }, 'enable/disable failed');
      return { error: `MCP Gateway could not ${query.data.enabled === '1' ? 'enable' : 'disable'}: ${message}` };
    }
  });
}

export async function runInit({ nextcloud, db }: LifecycleDeps, log: FastifyBaseLogger): Promise<void> {
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
    setMeta(db, 'init_completed_at', new Date().toISOString());
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
