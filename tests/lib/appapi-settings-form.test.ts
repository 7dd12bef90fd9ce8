// Declarative settings forms as AppAPI takes them: the schema accepts each field type Nextcloud renders and refuses
// what its settings page cannot show.
import { describe, expect, it } from 'vitest';
import type { SettingsForm } from '../../lib/appapi/settings-form.js';
import { settingsFieldTypes, settingsFormSchema } from '../../lib/appapi/settings-form.js';

const form = (overrides: Partial<SettingsForm> = {}): SettingsForm => ({
  id: 'example_admin',
  priority: 10,
  section_type: 'admin',
  section_id: 'declarative_settings',
  title: 'Example',
  fields: [],
  ...overrides,
});

describe('settingsFormSchema', () => {
  it('accepts every field type with its kind of default and options', () => {
    const fields = settingsFieldTypes.map((type) => ({ id: `field_${type}`, title: type, type }));
    expect(settingsFormSchema.safeParse(form({ fields })).success).toBe(true);
    const chosen = form({
      storage_type: 'internal',
      fields: [
        {
          id: 'scopes',
          title: 'Scopes',
          type: 'multi-checkbox',
          default: { read: true, write: false },
          options: [
            { name: 'Read', value: 'read' },
            { name: 'Write', value: 'write' },
          ],
        },
        { id: 'colour', title: 'Colour', type: 'select', default: 'red', options: ['red', 'green'] },
        { id: 'tags', title: 'Tags', type: 'multi-select', default: ['a'], options: ['a', 'b'] },
        { id: 'limit', title: 'Limit', type: 'number', default: 5 },
        { id: 'on', title: 'On', type: 'checkbox', label: 'Switch it on', default: true },
        { id: 'key', title: 'Key', type: 'password', sensitive: true, placeholder: 'secret' },
      ],
    });
    expect(settingsFormSchema.parse(chosen)).toEqual(chosen);
  });

  it('refuses an unknown field type, section type or storage type, and a form without an id', () => {
    expect(settingsFormSchema.safeParse(form({ fields: [{ id: 'x', title: 'X', type: 'colour' as 'text' }] })).success).toBe(false);
    expect(settingsFormSchema.safeParse(form({ section_type: 'user' as 'admin' })).success).toBe(false);
    expect(settingsFormSchema.safeParse(form({ storage_type: 'cloud' as 'internal' })).success).toBe(false);
    expect(settingsFormSchema.safeParse(form({ id: '' })).success).toBe(false);
    expect(settingsFormSchema.safeParse(form({ priority: 1.5 })).success).toBe(false);
  });
});
