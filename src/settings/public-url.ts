// The public base URL decides every absolute URL the app hands out (connector URL, OAuth metadata later).
// The admin's setting in Nextcloud wins over the deployment default, so a moved instance needs no redeploy.
import { z } from 'zod';
import type { Nextcloud } from '../../lib/index.js';
import { connectorUrl } from '../config.js';
import { settingKeys } from './admin-form.js';

const publicUrlSetting = z
  .url({ protocol: /^https?$/ })
  .transform((value) => value.replace(/\/+$/, ''));

export interface PublicUrls {
  base: string;
  connector: string;
  /** Where the value came from, shown to the admin. */
  source: 'admin setting' | 'deployment';
}

export async function resolvePublicUrls(nextcloud: Nextcloud, deploymentDefault: string): Promise<PublicUrls> {
  const values = await nextcloud.system().config.get([settingKeys.publicBaseUrl]);
  const raw = values[settingKeys.publicBaseUrl];
  const parsed = raw ? publicUrlSetting.safeParse(raw.trim()) : undefined;
  const base = parsed?.success ? parsed.data : deploymentDefault;
  return { base, connector: connectorUrl(base), source: parsed?.success ? 'admin setting' : 'deployment' };
}
