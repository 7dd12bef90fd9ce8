// Nextcloud's declarative settings as they meet an ExApp's forms (contract 6.1 and correction 5).
//
// Server side (nextcloud/server lib/private/Settings/DeclarativeManager.php, apps/settings DeclarativeSettings-
// Controller): every request loads all schemas: AppAPI registers the forms of enabled ExApps, the manager validates
// each (id, section_type, section_id, storage_type, title, fields as an array — empty is fine — each field with id,
// title, a known type and, for select types, options) and refuses a second form of an app reusing a field id
// ("Non unique field IDs detected: …"). One bad form makes every settings page fail (500) and every save 400.
// Saving (POST /ocs/v2.php/settings/api/declarative/value {app, formId, fieldId, value}): the field is looked up
// in any form of the app (its form decides admin vs personal and who may save); AppAPI's SetValueListener then
// looks the form up by the formId as sent and, if there is none, stores nothing: the answer is still 200.
//
// Page side (apps/settings/src/components/DeclarativeSettings/DeclarativeSection.vue): the page sends
// `formId: form.id.replace(formApp + '_', '')` — String.replace with a string pattern, so the first occurrence of
// "<app>_" anywhere in the id goes. Checkbox values are sent as +value (1 or 0), multi-checkbox and multi-select
// values as JSON text. SettingsPage below plays that page.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { DeclarativeForm, SimContext, SimUser } from '../context.js';
import { requireOcsUser, sendOcs } from '../ocs.js';
import { isAdmin } from '../state.js';

const valueBody = z.object({ app: z.string().min(1), formId: z.string().min(1), fieldId: z.string().min(1), value: z.unknown() });

const FIELD_TYPES = new Set([
  'multi-select',
  'multi-checkbox',
  'radio',
  'select',
  'checkbox',
  'url',
  'email',
  'number',
  'tel',
  'text',
  'password',
]);
const OPTION_TYPES = new Set(['multi-select', 'multi-checkbox', 'radio', 'select']);

type Field = { id?: unknown; title?: unknown; type?: unknown; options?: unknown; default?: unknown; [key: string]: unknown };

/** PHP's (string) cast of what the settings page sends: booleans become "1" or "", the rest as given. */
function phpString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? '1' : '';
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return String(value);
  // The page sends multi-checkbox and multi-select values as JSON text already; arrays cast to "Array" in PHP.
  return Array.isArray(value) ? 'Array' : JSON.stringify(value);
}

export class SettingsLoadError extends Error {}

/** DeclarativeManager::validateSchema; the reason a schema is refused, or null. */
function invalidSchema(schema: DeclarativeForm): string | null {
  const has = (key: string) => schema[key] !== undefined && schema[key] !== null;
  if (!has('id')) return 'no id';
  if (!has('section_type')) return 'missing section_type';
  if (schema.section_type !== 'admin' && schema.section_type !== 'personal') return 'invalid section_type';
  if (!has('section_id')) return 'missing section_id';
  if (!has('storage_type')) return 'missing storage_type';
  if (!has('title')) return 'missing title';
  if (!Array.isArray(schema.fields) && (typeof schema.fields !== 'object' || schema.fields === null)) return 'missing or invalid fields';
  for (const field of Object.values(schema.fields as Field[])) {
    if (field?.id === undefined || field.id === null) return 'missing field id';
    if (field.title === undefined || field.title === null) return 'missing field title';
    if (field.type === undefined || field.type === null) return 'missing field type';
    if (!FIELD_TYPES.has(String(field.type))) return 'invalid field type';
    if (OPTION_TYPES.has(String(field.type)) && (field.options === undefined || field.options === null)) return 'missing field options';
    if (OPTION_TYPES.has(String(field.type)) && typeof field.options !== 'object') return 'field options should be an array';
  }
  return null;
}

function fieldsOf(schema: DeclarativeForm): Field[] {
  return schema.fields && typeof schema.fields === 'object' ? Object.values(schema.fields as Field[]) : [];
}

/**
 * DeclarativeManager::loadSchemas with AppAPI's RegisterDeclarativeSettingsListener: the registered forms of enabled
 * ExApps, per app in registration order. Throws SettingsLoadError with the manager's message where it would throw.
 */
export function loadSchemas(ctx: SimContext): Map<string, DeclarativeForm[]> {
  const schemas = new Map<string, DeclarativeForm[]>();
  for (const [appId, forms] of ctx.state.settingsForms) {
    if (!ctx.state.apps.get(appId)?.enabled) continue;
    for (const schema of forms.values()) {
      if (invalidSchema(schema)) throw new SettingsLoadError('Invalid schema. Please check the logs for more details.');
      const registered = schemas.get(appId) ?? [];
      if (registered.some((other) => other.id === schema.id)) throw new SettingsLoadError(`Duplicate form IDs detected: ${schema.id}`);
      const taken = new Set(registered.flatMap((other) => fieldsOf(other).map((field) => String(field.id))));
      const clashing = fieldsOf(schema)
        .map((field) => String(field.id))
        .filter((id) => taken.has(id));
      if (clashing.length > 0) throw new SettingsLoadError(`Non unique field IDs detected: ${clashing.join(', ')}`);
      schemas.set(appId, [...registered, schema]);
    }
  }
  return schemas;
}

export interface RenderedForm extends DeclarativeForm {
  /** The app the form belongs to (DeclarativeManager adds it). */
  app: string;
  fields: Array<Field & { value: unknown }>;
}

/** AppAPI's GetValueListener: the stored value, else the field's default (JSON for arrays and numbers), else null. */
function currentValue(ctx: SimContext, user: SimUser, appId: string, form: DeclarativeForm, field: Field): unknown {
  const fieldId = String(field.id);
  const stored =
    form.section_type === 'admin'
      ? ctx.state.appConfig.get(appId)?.get(fieldId)
      : ctx.state.preferences.get(appId)?.get(user.id)?.get(fieldId);
  if (stored && stored.value !== '') return stored.value;
  if (field.default === undefined || field.default === null) return null;
  return typeof field.default === 'object' || typeof field.default === 'number' ? JSON.stringify(field.default) : field.default;
}

/** DeclarativeManager::getFormsWithValues, sorted by priority (highest first). Throws SettingsLoadError. */
export function formsWithValues(
  ctx: SimContext,
  user: SimUser,
  sectionType: 'admin' | 'personal' | null,
  sectionId: string | null,
): RenderedForm[] {
  const admin = isAdmin(user);
  const forms: RenderedForm[] = [];
  for (const [appId, schemas] of loadSchemas(ctx)) {
    for (const schema of schemas) {
      if (sectionType !== null && schema.section_type !== sectionType) continue;
      if (sectionId !== null && schema.section_id !== sectionId) continue;
      if (sectionType === null && schema.section_type === 'admin' && !admin) continue;
      forms.push({
        ...schema,
        app: appId,
        fields: fieldsOf(schema).map((field) => ({ ...field, value: currentValue(ctx, user, appId, schema, field) })),
      });
    }
  }
  const priority = (form: RenderedForm) => Number(form.priority ?? 0);
  return forms.sort((a, b) => priority(b) - priority(a));
}

function escapeHtml(value: string): string {
  return value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

function settingsPageHtml(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-cache, no-store, must-revalidate')
    .send(`<!doctype html><html><head><meta charset="utf-8"><title>Settings - Nextcloud</title></head><body>${body}</body></html>`);
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
      let schemas: Map<string, DeclarativeForm[]>;
      try {
        schemas = loadSchemas(ctx);
      } catch {
        return sendOcs(request, reply, { status: 400 });
      }
      // getSectionType(): the first form of the app that has the field decides; none -> exception -> 400.
      const owner = (schemas.get(appId) ?? []).find((schema) => fieldsOf(schema).some((field) => String(field.id) === fieldId));
      if (!owner) return sendOcs(request, reply, { status: 400 });
      if (owner.section_type === 'admin' && !isAdmin(user))
        return sendOcs(request, reply, { status: 403, message: 'Logged in account must be an admin' });
      // SetValueListener: the form as named by the request, registered or stored; none -> nothing is stored.
      const form = state.settingsForms.get(appId)?.get(formId);
      if (!form) return sendOcs(request, reply, { data: null });
      if (form.section_type === 'admin') {
        const values = state.appConfig.get(appId) ?? new Map();
        values.set(fieldId, { value: phpString(value), sensitive: values.get(fieldId)?.sensitive ?? false });
        state.appConfig.set(appId, values);
      } else {
        const byUser = state.preferences.get(appId) ?? new Map<string, Map<string, { value: string; sensitive: boolean }>>();
        const values = byUser.get(user.id) ?? new Map<string, { value: string; sensitive: boolean }>();
        values.set(fieldId, { value: phpString(value), sensitive: values.get(fieldId)?.sensitive ?? false });
        byUser.set(user.id, values);
        state.preferences.set(appId, byUser);
      }
      return sendOcs(request, reply, { data: null });
    });

    // What the settings pages load (DeclarativeSettingsController::getForms): every form the user may see.
    app.get(`/ocs/${version}.php/settings/api/declarative/forms`, async (request, reply) => {
      const user = requireOcsUser(request, reply);
      if (!user) return reply;
      try {
        return sendOcs(request, reply, { data: formsWithValues(ctx, user, null, null) });
      } catch (error) {
        // Uncaught in the controller: ocs/v1.php answers 996 (v2: HTTP 500).
        return sendOcs(request, reply, {
          status: 500,
          statuscode: version === 'v1' ? 996 : 500,
          message: `Internal Server Error\n${(error as Error).message}`,
        });
      }
    });
  }

  // The admin and personal settings sections, with their declarative forms.
  for (const [kind, prefix] of [
    ['admin', '/index.php/settings/admin'],
    ['personal', '/index.php/settings/user'],
  ] as const) {
    app.get<{ Params: { section: string } }>(`${prefix}/:section`, async (request, reply) => {
      const user = request.nc.user;
      if (!user || request.nc.via !== 'session')
        return reply.redirect(`/index.php/login?redirect_url=${encodeURIComponent(request.url)}`, 303);
      if (kind === 'admin' && !isAdmin(user)) return settingsPageHtml(reply, 403, '<h2>Access forbidden</h2>');
      let forms: RenderedForm[];
      try {
        forms = formsWithValues(ctx, user, kind, request.params.section);
      } catch (error) {
        return settingsPageHtml(reply, 500, `<h2>Internal Server Error</h2><p id="error">${escapeHtml((error as Error).message)}</p>`);
      }
      const rendered = forms
        .map(
          (form) =>
            `<section class="declarative-settings-section" data-app="${escapeHtml(form.app)}" data-form-id="${escapeHtml(String(form.id))}"><h2>${escapeHtml(String(form.title ?? ''))}</h2>` +
            `${form.description ? `<p class="description">${escapeHtml(String(form.description))}</p>` : ''}${form.doc_url ? `<a class="doc-url" href="${escapeHtml(String(form.doc_url))}">Documentation</a>` : ''}` +
            form.fields
              .map(
                (field) =>
                  `<div class="declarative-form-field" data-field-id="${escapeHtml(String(field.id))}" data-type="${escapeHtml(String(field.type))}">${escapeHtml(String(field.title ?? ''))}</div>`,
              )
              .join('') +
            '</section>',
        )
        .join('');
      return settingsPageHtml(
        reply,
        200,
        `<h1 id="section" data-section="${escapeHtml(request.params.section)}">${escapeHtml(request.params.section)}</h1>${rendered}`,
      );
    });
  }
}

/** The value DeclarativeSection.vue posts for a field of this type. */
export function pageValue(type: unknown, value: unknown): unknown {
  if (type === 'checkbox') return typeof value === 'boolean' ? +value : value;
  if ((type === 'multi-checkbox' || type === 'multi-select') && typeof value !== 'string') return JSON.stringify(value);
  return value;
}

/** The form id DeclarativeSection.vue sends: `form.id.replace(formApp + '_', '')` (first occurrence only). */
export function pageFormId(appId: string, formId: string): string {
  return formId.replace(`${appId}_`, '');
}

/**
 * Nextcloud's settings pages, as a browser uses them: render a section, and save a field the way
 * DeclarativeSection.vue does (`sim.settingsPage`).
 */
export class SettingsPage {
  constructor(
    private readonly ctx: SimContext,
    private readonly cookieFor: (userId: string) => string,
  ) {}

  /**
   * The forms a section shows (type admin or personal, e.g. `personal` + `security`), with values, as `as`
   * (a user id) sees them. Throws SettingsLoadError where the page fails (an invalid form, duplicate field ids).
   */
  render(sectionType: 'admin' | 'personal', sectionId: string, as = 'admin'): RenderedForm[] {
    const user = this.ctx.state.users.get(as);
    if (!user) throw new Error(`No simulated user ${as}`);
    return formsWithValues(this.ctx, user, sectionType, sectionId);
  }

  /**
   * Changes a field as the page does: the form id loses its first `<appId>_`, the value is encoded as the page
   * encodes it for the field's type, and the browser POSTs it with the session cookie of `as` (a user id, or a
   * Cookie header value).
   */
  async save(
    as: string,
    appId: string,
    formId: string,
    fieldId: string,
    value: unknown,
  ): Promise<{ status: number; body: unknown; sent: { app: string; formId: string; fieldId: string; value: unknown } }> {
    const cookie = as.includes('=') ? as : this.cookieFor(as);
    const form = this.ctx.state.settingsForms.get(appId)?.get(formId);
    const field = form ? fieldsOf(form).find((candidate) => String(candidate.id) === fieldId) : undefined;
    const sent = { app: appId, formId: pageFormId(appId, formId), fieldId, value: pageValue(field?.type, value) };
    const response = await fetch(`${this.ctx.baseUrl()}/ocs/v2.php/settings/api/declarative/value`, {
      method: 'POST',
      headers: {
        cookie,
        accept: 'application/json, text/plain, */*',
        'content-type': 'application/json',
        'x-requested-with': 'XMLHttpRequest',
        requesttoken: 'sim-page',
      },
      body: JSON.stringify(sent),
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: response.status, body, sent };
  }
}
