// AppAPI's declarative settings: a form an ExApp registers (SettingsForms.registerForm) and Nextcloud renders in
// its admin or personal settings. Nextcloud stores each field's value under the field id, as a string, in the app's
// config values (storage_type internal) or asks the app for it (external).
import { z } from 'zod';

export const settingsFieldTypes = [
  'text',
  'password',
  'email',
  'tel',
  'url',
  'number',
  'checkbox',
  'multi-checkbox',
  'radio',
  'select',
  'multi-select',
] as const;

/** A choice of a radio, select or multi-checkbox field; a select also takes bare strings. */
export const settingsOptionSchema = z.union([z.string(), z.object({ name: z.string(), value: z.union([z.string(), z.number()]) })]);

export const settingsFieldSchema = z.object({
  id: z.string().min(1),
  title: z.string(),
  description: z.string().optional(),
  type: z.enum(settingsFieldTypes),
  /** A checkbox's text beside the box. */
  label: z.string().optional(),
  placeholder: z.string().optional(),
  /** multi-checkbox: each option's value mapped to whether it is ticked; multi-select: the chosen values. */
  default: z.union([z.string(), z.number(), z.boolean(), z.array(z.string()), z.record(z.string(), z.boolean())]).optional(),
  options: z.array(settingsOptionSchema).optional(),
  /** Stored encrypted and never shown again once saved. */
  sensitive: z.boolean().optional(),
});

export const settingsFormSchema = z.object({
  /** Must not contain `<appid>_`: the settings page strips it when saving a field, and AppAPI then finds no form. */
  id: z.string().min(1),
  priority: z.number().int(),
  section_type: z.enum(['admin', 'personal']),
  section_id: z.string().min(1),
  storage_type: z.enum(['internal', 'external']).optional(),
  title: z.string(),
  description: z.string().optional(),
  doc_url: z.string().optional(),
  fields: z.array(settingsFieldSchema),
});

export type SettingsFieldType = (typeof settingsFieldTypes)[number];
export type SettingsOption = z.infer<typeof settingsOptionSchema>;
export type SettingsField = z.infer<typeof settingsFieldSchema>;
export type SettingsForm = z.infer<typeof settingsFormSchema>;
