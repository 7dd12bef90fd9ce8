// AppAPI's OCS endpoints an ExApp calls: init status, enabled state, declarative settings, config values,
// preferences, log and users. All are #[AppAPIAuth]: without valid AppAPI headers they answer 401 JSON.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { DeclarativeForm, ExApp, SimContext } from '../context.js';
import { sendOcs } from '../ocs.js';
import type { AppApiLifecycle } from '../appapi/lifecycle.js';

const BASES = ['/ocs/v1.php/apps/app_api', '/ocs/v2.php/apps/app_api'];

const statusBody = z.object({ progress: z.coerce.number().int(), error: z.string().optional().default('') });
const configSet = z.object({
  configKey: z.string().min(1),
  configValue: z.unknown(),
  sensitive: z.coerce.number().int().min(0).max(1).optional(),
});
const keysBody = z.object({ configKeys: z.array(z.string()).min(1) });
// OCSSettingsController::registerForm + SettingsService::registerForm check nothing but the form id (a string,
// or the lookup by app and form id fails with a TypeError: 500). Whether the scheme is usable only shows when the
// settings pages load it (routes/declarative-settings.ts).
const formBody = z.object({ formScheme: z.looseObject({}) });
const logBody = z.object({ level: z.coerce.number().int().min(0).max(4), message: z.string() });

/** Parameters may come as JSON body or query (AppAPI reads both through IRequest). */
function params(request: FastifyRequest): Record<string, unknown> {
  const body = request.body && typeof request.body === 'object' ? (request.body as Record<string, unknown>) : {};
  return { ...(request.query as Record<string, unknown>), ...body };
}

function stringify(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? '1' : '';
  if (value === null || value === undefined) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

export function registerAppApiOcsRoutes(app: FastifyInstance, ctx: SimContext, lifecycle: AppApiLifecycle): void {
  const { state } = ctx;
  const exApp = (request: FastifyRequest, reply: FastifyReply): ExApp | null => {
    if (!request.nc.appId) {
      void reply.code(401).header('content-type', 'application/json; charset=utf-8').send({ message: 'AppAPI authentication failed' });
      return null;
    }
    return state.apps.get(request.nc.appId) ?? null;
  };
  const bad = (request: FastifyRequest, reply: FastifyReply, message: string) => sendOcs(request, reply, { status: 400, message });

  for (const base of BASES) {
    app.put(`${base}/ex-app/status`, async (request, reply) => {
      const target = exApp(request, reply);
      if (!target) return reply;
      const body = statusBody.safeParse(params(request));
      if (!body.success) return bad(request, reply, 'progress is required');
      if (body.data.progress < 0 || body.data.progress > 100) {
        // AppAPI throws an uncaught InvalidArgumentException here.
        return reply.code(500).send({ message: 'Internal Server Error' });
      }
      await lifecycle.reportProgress(target, body.data.progress, body.data.error);
      return sendOcs(request, reply, { data: [] });
    });

    app.get(`${base}/ex-app/state`, async (request, reply) => {
      const target = exApp(request, reply);
      if (!target) return reply;
      return sendOcs(request, reply, { data: target.enabled ? 1 : 0 });
    });

    app.post(`${base}/api/v1/ui/settings`, async (request, reply) => {
      const target = exApp(request, reply);
      if (!target) return reply;
      const body = formBody.safeParse(params(request));
      if (!body.success) return bad(request, reply, 'formScheme must be an object');
      const formId = body.data.formScheme.id;
      if (typeof formId !== 'string') return reply.code(500).send({ message: 'Internal Server Error' });
      const forms = state.settingsForms.get(target.id) ?? new Map<string, DeclarativeForm>();
      forms.set(formId, { ...body.data.formScheme, id: formId, storage_type: 'external' } as unknown as DeclarativeForm);
      state.settingsForms.set(target.id, forms);
      return sendOcs(request, reply, { data: [] });
    });

    app.delete(`${base}/api/v1/ui/settings`, async (request, reply) => {
      const target = exApp(request, reply);
      if (!target) return reply;
      const formId = stringify(params(request).formId);
      const forms = state.settingsForms.get(target.id);
      if (!forms?.delete(formId)) return sendOcs(request, reply, { status: 404, message: 'Settings form not found' });
      return sendOcs(request, reply, { data: [] });
    });

    app.get(`${base}/api/v1/ui/settings`, async (request, reply) => {
      const target = exApp(request, reply);
      if (!target) return reply;
      const form = state.settingsForms.get(target.id)?.get(stringify(params(request).formId));
      if (!form) return sendOcs(request, reply, { status: 404, message: 'Settings form not found' });
      return sendOcs(request, reply, { data: form });
    });

    for (const kind of ['config', 'preference'] as const) {
      const store = (target: ExApp, request: FastifyRequest) => {
        if (kind === 'config') {
          const values = state.appConfig.get(target.id) ?? new Map();
          state.appConfig.set(target.id, values);
          return values;
        }
        const userId = request.nc.user?.id ?? '';
        const byUser = state.preferences.get(target.id) ?? new Map();
        state.preferences.set(target.id, byUser);
        const values = byUser.get(userId) ?? new Map();
        byUser.set(userId, values);
        return values;
      };
      // Preferences dereference the session user; with an empty user AppAPI fails with a 500.
      const needsUser = (request: FastifyRequest, reply: FastifyReply) => {
        if (kind === 'preference' && !request.nc.user) {
          void reply.code(500).send({ message: 'Internal Server Error' });
          return false;
        }
        return true;
      };

      app.post(`${base}/api/v1/ex-app/${kind}`, async (request, reply) => {
        const target = exApp(request, reply);
        if (!target || !needsUser(request, reply)) return reply;
        const body = configSet.safeParse(params(request));
        if (!body.success) return bad(request, reply, 'configKey and configValue are required');
        const values = store(target, request);
        const previous = values.get(body.data.configKey);
        const sensitive = body.data.sensitive === undefined ? (previous?.sensitive ?? false) : body.data.sensitive === 1;
        const value = stringify(body.data.configValue);
        values.set(body.data.configKey, { value, sensitive });
        const data: Record<string, unknown> = {
          id: 0,
          appid: target.id,
          configkey: body.data.configKey,
          configvalue: value,
          sensitive: sensitive ? 1 : 0,
        };
        if (kind === 'preference') data.user_id = request.nc.user!.id;
        return sendOcs(request, reply, { data });
      });

      app.post(`${base}/api/v1/ex-app/${kind}/get-values`, async (request, reply) => {
        const target = exApp(request, reply);
        if (!target || !needsUser(request, reply)) return reply;
        const body = keysBody.safeParse(params(request));
        if (!body.success) return bad(request, reply, 'configKeys must be a non-empty list');
        const values = store(target, request);
        const data = body.data.configKeys
          .filter((key) => values.has(key))
          .map((key) => ({ configkey: key, configvalue: values.get(key)!.value }));
        return sendOcs(request, reply, { data });
      });

      app.delete(`${base}/api/v1/ex-app/${kind}`, async (request, reply) => {
        const target = exApp(request, reply);
        if (!target || !needsUser(request, reply)) return reply;
        const body = keysBody.safeParse(params(request));
        if (!body.success) return bad(request, reply, 'configKeys must be a non-empty list');
        const values = store(target, request);
        const deleted = body.data.configKeys.filter((key) => values.delete(key)).length;
        if (deleted === 0) return sendOcs(request, reply, { status: 404, message: 'No such keys' });
        return sendOcs(request, reply, { data: deleted });
      });
    }

    app.post(`${base}/api/v1/log`, async (request, reply) => {
      const target = exApp(request, reply);
      if (!target) return reply;
      const body = logBody.safeParse(params(request));
      if (!body.success) return bad(request, reply, 'level (0-4) and message are required');
      lifecycle.log.push({ appId: target.id, level: body.data.level, message: body.data.message });
      return sendOcs(request, reply, { data: [] });
    });

    app.get(`${base}/api/v1/users`, async (request, reply) => {
      const target = exApp(request, reply);
      if (!target) return reply;
      return sendOcs(request, reply, { data: [...state.users.keys()] });
    });
  }
}
