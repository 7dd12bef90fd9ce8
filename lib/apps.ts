// Which Nextcloud apps the acting user can use. Capabilities say what is enabled on the instance, not for this user
// (ocs/v1.php loads apps before it logs the user in), so the per-user truth is the navigation list: the apps the
// user may open, as their own Nextcloud menu shows them.
import { z } from 'zod';
import type { HttpClient } from './http.js';
import { ocsRequest } from './ocs.js';

const navigationSchema = z.array(z.looseObject({ id: z.string() }));

/** The ids of the apps in the user's navigation (e.g. files, calendar, notes, deck). */
export async function navigationApps(http: HttpClient): Promise<ReadonlySet<string>> {
  const { data } = await ocsRequest(http, 'GET', '/ocs/v2.php/core/navigation/apps?absolute=true', navigationSchema);
  return new Set(data.map((entry) => entry.id));
}
