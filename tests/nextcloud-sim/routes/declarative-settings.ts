// Saving a field of a declarative settings form, as Nextcloud's settings page does it:
// POST /ocs/v2.php/settings/api/declarative/value {app, formId, fieldId, value}. For an ExApp's form
// (storage_type external) AppAPI's SetValueListener stores the value, cast to a string the PHP way, in the
// ExApp's app config (admin sections) under the field id (contract 6.1).
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { SimContext } from '../context.js';
import { requireOcsUser, sendOcs } from '../ocs.js';
import { isAdmin } from '../state.js';

const valueBody = z.object({ app: z.string().min(1), formId: z.string().min(1), fieldId: z.string().min(1), value: z.unknown() });

/** PHP's (string) cast of what the settings page sends: booleans become "1" or "", the rest as given. */
function phpString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? '1' : '';
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return String(value);
  // The page sends multi-checkbox and multi-select values as JSON text already; arrays cast to "Array" in PHP.
  return Array.isArray(value) ? 'Array' : JSON.stringify(value);
}

export function registerDeclarativeSettingsRoutes(app: FastifyInstance, ctx: SimContext): void {
  const { state } = ctx;
  for (const version of ['v1', 'v2']) {
    app.post(`/ocs/${version}.php/settings/api/declarative/value`, async (request, reply) => {
      const user = requireOcsUser(request, reply);
      if (!user) return reply;
      const body = valueBody.safeParse({ ...(request.query as object), ...(request.body as object) });
      if (!body.success) return sendOcs(request, reply, { status: 400, message: 'app, formId, fieldId and value are required' });
      const { app: appId, formId, fieldId, value } = body.data;
      const form = state.apps.get(appId)?.enabled ? state.settingsForms.get(appId)?.get(formId) : undefined;
      if (!form) return sendOcs(request, reply, { status: 400, message: `Form ${formId} of ${appId} not found` });
      if (form.section_type === 'admin' && !isAdmin(user)) return sendOcs(request, reply, { status: 403, message: 'Logged in account must be an admin' });
      const fields = Array.isArray(form.fields) ? (form.fields as Array<{ id?: unknown }>) : [];
      if (!fields.some((field) => field.id === fieldId)) return sendOcs(request, reply, { status: 400, message: `Field ${fieldId} not found` });
      if (form.section_type === 'admin') {
        const values = state.appConfig.get(appId) ?? new Map();
        values.set(fieldId, { value: phpString(value), sensitive: false });
        state.appConfig.set(appId, values);
      } else {
        const byUser = state.preferences.get(appId) ?? new Map<string, Map<string, { value: string; sensitive: boolean }>>();
        const values = byUser.get(user.id) ?? new Map<string, { value: string; sensitive: boolean }>();
        values.set(fieldId, { value: phpString(value), sensitive: false });
        byUser.set(user.id, values);
        state.preferences.set(appId, byUser);
      }
      return sendOcs(request, reply, { data: null });
    });
  }
}
