// The acting user's own account, groups and the server's capabilities (provisioning_api, capabilities).
import { z } from 'zod';
import { isNextcloudError } from './errors.js';
import type { HttpClient } from './http.js';
import { ocsRequest } from './ocs.js';

/**
 * provisioning_api's storage info. `quota` is the limit in bytes, or negative for "unlimited" (-3) and
 * "not computed" (-1, -2), or "none" before the user's storage was ever set up. When reading the storage info
 * fails, Nextcloud sends an empty PHP array, i.e. [].
 */
const quotaSchema = z.union([
  z.looseObject({
    free: z.number().optional(),
    used: z.number().optional(),
    total: z.number().optional(),
    relative: z.number().optional(),
    quota: z.union([z.number(), z.string()]).optional(),
  }),
  z
    .array(z.never())
    .length(0)
    .transform(() => null),
  z.string().transform(() => null),
]);

const userSchema = z
  .object({
    id: z.string(),
    displayname: z.string().optional(),
    'display-name': z.string().optional(),
    email: z.string().nullish(),
    groups: z.array(z.string()).default([]),
    quota: quotaSchema.optional(),
    language: z.string().optional(),
    locale: z.string().optional(),
  })
  .transform((user) => ({
    id: user.id,
    displayName: user.displayname ?? user['display-name'] ?? user.id,
    email: user.email ?? null,
    groups: user.groups,
    quota: user.quota ?? null,
    language: user.language ?? '',
    locale: user.locale ?? '',
  }));
export type NextcloudUser = z.infer<typeof userSchema>;

export const capabilitiesSchema = z.object({
  version: z.looseObject({ major: z.number(), minor: z.number(), micro: z.number(), string: z.string() }),
  capabilities: z.record(z.string(), z.unknown()),
});
export type Capabilities = z.infer<typeof capabilitiesSchema>;

export async function currentUser(http: HttpClient): Promise<NextcloudUser> {
  return (await ocsRequest(http, 'GET', '/ocs/v2.php/cloud/user', userSchema)).data;
}

export async function groupsOf(http: HttpClient, userId: string): Promise<string[]> {
  const { data } = await ocsRequest(
    http,
    'GET',
    `/ocs/v2.php/cloud/users/${encodeURIComponent(userId)}/groups`,
    z.object({ groups: z.array(z.string()) }),
  );
  return data.groups;
}

export async function capabilities(http: HttpClient): Promise<Capabilities> {
  return (await ocsRequest(http, 'GET', '/ocs/v2.php/cloud/capabilities', capabilitiesSchema)).data;
}

/**
 * Every account id Nextcloud knows, from AppAPI's user list (works without a user; AppAPI asks every user backend).
 * Meant for rare checks, as the list is not paged.
 */
export async function allUserIds(http: HttpClient): Promise<string[]> {
  return (await ocsRequest(http, 'GET', '/ocs/v1.php/apps/app_api/api/v1/users', z.array(z.coerce.string()))).data;
}

/**
 * Whether AppAPI accepts acting as this user. AppAPI only checks that the account exists (not that it is enabled),
 * and its own endpoints need no enabled session, so a disabled account is accepted here while Nextcloud's other
 * endpoints answer "not logged in". False when AppAPI refused the user (unknown to every user backend that answered).
 */
export async function appApiAcceptsUser(http: HttpClient): Promise<boolean> {
  try {
    await ocsRequest(http, 'GET', '/ocs/v1.php/apps/app_api/ex-app/state', z.unknown());
    return true;
  } catch (error) {
    if (isNextcloudError(error, 'unauthorized')) return false;
    throw error;
  }
}
