// AppAPI's OCS endpoints for the app itself: init progress, config values, per-user preferences,
// declarative settings forms, and Nextcloud's log.
import { z } from 'zod';
import type { HttpClient } from '../http.js';
import { ocsRequest } from '../ocs.js';

const BASE = '/ocs/v1.php/apps/app_api';
const valuesSchema = z.array(z.object({ configkey: z.string(), configvalue: z.string().nullable() }));

export interface KeyValueStore {
  /** Only keys that exist come back; a missing key is absent, not ''. */
  get(keys: string[]): Promise<Record<string, string>>;
  set(key: string, value: string, options?: { sensitive?: boolean }): Promise<void>;
  /** Returns how many keys were deleted (0 when none existed). */
  delete(keys: string[]): Promise<number>;
}

export function keyValueStore(http: HttpClient, kind: 'config' | 'preference'): KeyValueStore {
  return {
    async get(keys) {
      const { data } = await ocsRequest(http, 'POST', `${BASE}/api/v1/ex-app/${kind}/get-values`, valuesSchema, {
        json: { configKeys: keys },
      });
      return Object.fromEntries(data.map((entry) => [entry.configkey, entry.configvalue ?? '']));
    },
    async set(key, value, options = {}) {
      const json: Record<string, unknown> = { configKey: key, configValue: value };
      if (options.sensitive !== undefined) json.sensitive = options.sensitive ? 1 : 0;
      await ocsRequest(http, 'POST', `${BASE}/api/v1/ex-app/${kind}`, z.unknown(), { json });
    },
    async delete(keys) {
      try {
        const { data } = await ocsRequest(http, 'DELETE', `${BASE}/api/v1/ex-app/${kind}`, z.coerce.number(), {
          json: { configKeys: keys },
        });
        return data;
      } catch (error) {
        if ((error as { code?: string }).code === 'not_found') return 0;
        throw error;
      }
    },
  };
}

export interface SettingsForms {
  registerForm(scheme: Record<string, unknown>): Promise<void>;
  unregisterForm(formId: string): Promise<void>;
  getForm(formId: string): Promise<Record<string, unknown> | null>;
}

export function settingsForms(http: HttpClient): SettingsForms {
  return {
    async registerForm(scheme) {
      await ocsRequest(http, 'POST', `${BASE}/api/v1/ui/settings`, z.unknown(), { json: { formScheme: scheme } });
    },
    async unregisterForm(formId) {
      try {
        await ocsRequest(http, 'DELETE', `${BASE}/api/v1/ui/settings`, z.unknown(), { query: { formId } });
      } catch (error) {
        // Unregistering what is not there (a first disable, a repeated one) is not a failure.
        if ((error as { code?: string }).code !== 'not_found') throw error;
      }
    },
    async getForm(formId) {
      try {
        return (await ocsRequest(http, 'GET', `${BASE}/api/v1/ui/settings`, z.record(z.string(), z.unknown()), { query: { formId } })).data;
      } catch (error) {
        if ((error as { code?: string }).code === 'not_found') return null;
        throw error;
      }
    },
  };
}

export async function setInitProgress(
  http: HttpClient,
  progress: number,
  error?: string,
  options: { timeoutMs?: number } = {},
): Promise<void> {
  // AppAPI stores the number as given; outside 0..100 it shows nonsense in the apps list.
  if (!Number.isInteger(progress) || progress < 0 || progress > 100)
    throw new RangeError(`Init progress must be an integer 0..100, not ${progress}.`);
  const json: Record<string, unknown> = { progress };
  if (error) json.error = error;
  await ocsRequest(http, 'PUT', `${BASE}/ex-app/status`, z.unknown(), { json, timeoutMs: options.timeoutMs });
}

export async function logToNextcloud(http: HttpClient, level: 0 | 1 | 2 | 3 | 4, message: string): Promise<void> {
  await ocsRequest(http, 'POST', `${BASE}/api/v1/log`, z.unknown(), { json: { level, message } });
}
