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
    const tools = [
      { name: 'files_delete', title: 'Delete' },
      { name: 'talk_send_message', title: 'Send' },
    ];
    const form = adminSettingsForm('https://cloud.example/mcp', 30, undefined, tools);
    expect(form.fields.map((field) => field.id).sort()).toEqual(Object.values(policyKeys).sort());
    // Every tool can be switched off on its own; none is by default.
    expect(form.fields.find((field) => field.id === policyKeys.disabledTools)).toMatchObject({
      type: 'multi-checkbox',
      default: { files_delete: false, talk_send_message: false },
      options: [
        { name: 'Delete (files_delete)', value: 'files_delete' },
        { name: 'Send (talk_send_message)', value: 'talk_send_message' },
      ],
    });
    expect(settingsFormSchema.safeParse(form).error).toBeUndefined();
    for (const id of [ADMIN_FORM_ID, PERSONAL_FORM_ID]) expect(id).not.toContain('mcp_gateway_');
    expect(LEGACY_FORM_IDS).not.toContain(ADMIN_FORM_ID);
  });
});
