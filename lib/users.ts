// The acting user's own account, groups and the server's capabilities (provisioning_api, capabilities).
import { z } from 'zod';
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
  z.array(z.never()).length(0).transform(() => null),
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
  const { data } = await ocsRequest(http, 'GET', `/ocs/v2.php/cloud/users/${encodeURIComponent(userId)}/groups`, z.object({ groups: z.array(z.string()) }));
  return data.groups;
}

export async function capabilities(http: HttpClient): Promise<Capabilities> {
  return (await ocsRequest(http, 'GET', '/ocs/v2.php/cloud/capabilities', capabilitiesSchema)).data;
}
