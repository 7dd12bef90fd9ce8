// The gateway's forms are declarative settings AppAPI accepts, and they hold a field for every policy key.
import { describe, expect, it } from 'vitest';
import { settingsFormSchema } from '../../../lib/appapi/settings-form.js';
import { policyKeys } from '../../../src/policy/policy.js';
import {
  ADMIN_FORM_ID,
  LEGACY_FORM_IDS,
  PERSONAL_FORM_ID,
  adminSettingsForm,
  personalSettingsEntry,
} from '../../../src/policy/settings-form.js';

describe('the gateway settings forms', () => {
  it('validate as declarative settings forms', () => {
    expect(settingsFormSchema.safeParse(adminSettingsForm('https://cloud.example/mcp')).error).toBeUndefined();
    expect(
      settingsFormSchema.safeParse(personalSettingsEntry('https://cloud.example/mcp', 'https://cloud.example/connections')).error,
    ).toBeUndefined();
  });

  it('hold one field per policy key, and never the app id in a form id', () => {
    expect(
      adminSettingsForm('https://cloud.example/mcp')
        .fields.map((field) => field.id)
        .sort(),
    ).toEqual(Object.values(policyKeys).sort());
    for (const id of [ADMIN_FORM_ID, PERSONAL_FORM_ID]) expect(id).not.toContain('mcp_gateway_');
    expect(LEGACY_FORM_IDS).not.toContain(ADMIN_FORM_ID);
  });
});
