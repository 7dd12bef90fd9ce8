// The admin settings form this app registers with AppAPI's declarative settings on enable. Nextcloud stores
// each field in the app's config under the field id, as a string; policy.ts reads them back.
import type { SettingsForm } from '../../lib/appapi/settings-form.js';
import { SCOPES, SCOPE_WORDING } from '../core/scopes.js';
import { DEFAULT_POLICY, policyKeys } from './policy.js';
import type { RedirectRule } from './redirect-uris.js';
import { formatRedirectRule } from './redirect-uris.js';

/**
 * Form ids must not contain `mcp_gateway_`: Nextcloud's settings page strips `<appid>_` from the id when it saves
 * a field, and AppAPI then finds no form, stores nothing and still answers 200.
 */
export const ADMIN_FORM_ID = 'gateway_admin';
export const PERSONAL_FORM_ID = 'gateway_personal';
/**
 * Ids earlier releases registered. Two forms with the same field ids break the whole admin settings page, so
 * these are removed before the current form is registered. Values never lived under a form id (AppAPI keeps
 * them under the field ids, which have not changed), so nothing is lost by the move.
 */
export const LEGACY_FORM_IDS = ['mcp_gateway_admin'] as const;

/** Personal settings → Security: where people learn about the connector and find their connected apps. */
export function personalSettingsEntry(connectorUrl: string, connectionsUrl: string): SettingsForm {
  return {
    id: PERSONAL_FORM_ID,
    priority: 50,
    section_type: 'personal',
    section_id: 'security',
    title: 'AI assistants (MCP Gateway)',
    description: `You can connect ChatGPT, Claude or another MCP client to your Nextcloud with the connector URL ${connectorUrl}. Each app asks for your consent and acts as you, with only the permissions you allowed. Review and revoke connected apps at any time: ${connectionsUrl}`,
    doc_url: connectionsUrl,
    fields: [],
  };
}

/**
 * `redirectRules` is what the form shows while the admin has not saved the field: the rules in force, which are a
 * host list saved under the former field when there is one.
 */
export function adminSettingsForm(
  connectorUrl: string,
  boundSeconds = 30,
  redirectRules: readonly RedirectRule[] = DEFAULT_POLICY.redirectRules,
  /** The tools the admin can switch off one by one, in the order clients list them. */
  tools: readonly { name: string; title: string }[] = [],
): SettingsForm {
  return {
    id: ADMIN_FORM_ID,
    priority: 10,
    section_type: 'admin',
    section_id: 'declarative_settings',
    title: 'MCP Gateway',
    description: `Connector URL to paste into ChatGPT, Claude or any MCP client: ${connectorUrl} — Changes apply to every user and open connection within ${boundSeconds} seconds.`,
    fields: [
      {
        id: policyKeys.enabledScopes,
        title: 'Scopes that exist',
        description: 'What connected apps may be granted at all. Grants never exceed this; tools outside it vanish.',
        type: 'multi-checkbox',
        default: Object.fromEntries(SCOPES.map((scope) => [scope, DEFAULT_POLICY.scopeCeiling.includes(scope)])),
        options: SCOPES.map((scope) => ({ name: SCOPE_WORDING[scope].admin, value: scope })),
      },
      {
        id: policyKeys.readOnly,
        title: 'Read-only mode',
        label: 'Remove every write scope (files, calendar, Talk, contacts, tasks, notes, Deck)',
        type: 'checkbox',
        default: DEFAULT_POLICY.readOnly,
      },
      {
        id: policyKeys.confirmation,
        title: "The person's confirmation",
        description:
          'When a connected app must show the person what a call will do and get their yes before it runs. Apps that cannot ask the person themselves get the plan and run it only when called again with its one-time token.',
        type: 'radio',
        default: DEFAULT_POLICY.confirmation,
        options: [
          { name: 'Before every change', value: 'always' },
          { name: 'Before deleting, overwriting or sending to others (recommended)', value: 'destructive' },
          { name: 'Never', value: 'never' },
        ],
      },
      {
        id: policyKeys.hiddenTags,
        title: 'Hidden by system tag (optional)',
        description:
          'Comma-separated names of system tags. Files and folders carrying one, and everything inside a tagged folder, are invisible to every tool (search, notes and versions included) and can be neither read nor changed; the trash bin is then closed to connected apps, as trashed files cannot be checked for tags. Use restricted tags: users see them but cannot remove them. When the tags cannot be read, no file is shown.',
        type: 'text',
        default: '',
        placeholder: 'Confidential, Legal hold',
      },
      {
        id: policyKeys.folderAllowlist,
        title: 'Folder allowlist (optional)',
        description:
          "Comma-separated top-level folders file tools are confined to, e.g. /Projects, /Shared/Handbook. Empty: all of each user's files.",
        type: 'text',
        default: '',
        placeholder: '/Projects, /Shared/Handbook',
      },
      {
        id: policyKeys.eligibleGroups,
        title: 'Eligible groups (optional)',
        description: 'Comma-separated group ids whose members may connect apps. Empty: every enabled user.',
        type: 'text',
        default: '',
        placeholder: 'staff, research',
      },
      {
        id: policyKeys.dynamicRegistration,
        title: 'Dynamic client registration',
        label:
          'Let MCP clients register themselves (needed by the MCP Inspector and older clients); turning this off also refuses clients that registered earlier',
        type: 'checkbox',
        default: DEFAULT_POLICY.dynamicRegistration,
      },
      {
        id: policyKeys.clientMetadataDocuments,
        title: 'Client ID metadata documents',
        label:
          'Accept clients identified by the URL of their metadata document (ChatGPT, Claude); turning this off also refuses those connected earlier',
        type: 'checkbox',
        default: DEFAULT_POLICY.clientMetadataDocuments,
      },
      {
        id: policyKeys.redirectUris,
        title: 'Allowed redirect URIs',
        description:
          'Where clients may send a person back to after consent, separated by commas or spaces: exact URIs, prefixes ending in /* (followed by plain path segments only), host names (any https address on that host), or "loopback" for desktop and command-line clients on the person\'s own computer. Applies to clients that registered earlier too.',
        type: 'text',
        default: redirectRules.map(formatRedirectRule).join(', '),
      },
      {
        id: policyKeys.accessTokenMinutes,
        title: 'Access token lifetime (minutes)',
        type: 'number',
        default: DEFAULT_POLICY.accessTokenSeconds / 60,
      },
      {
        id: policyKeys.refreshTokenDays,
        title: 'Refresh token lifetime (days)',
        type: 'number',
        default: DEFAULT_POLICY.refreshTokenSeconds / 86_400,
      },
      ...(tools.length > 0
        ? [
            {
              id: policyKeys.disabledTools,
              title: 'Switched-off tools',
              description:
                'Ticked tools exist for no connected app, whatever its scopes; search and fetch then leave out what a ticked reading tool would show (a note with notes_get, a file with files_read).',
              type: 'multi-checkbox' as const,
              default: Object.fromEntries(tools.map((tool) => [tool.name, false])),
              options: tools.map((tool) => ({ name: `${tool.title} (${tool.name})`, value: tool.name })),
            },
          ]
        : []),
      {
        id: policyKeys.publicBaseUrl,
        title: 'Public base URL (optional)',
        description:
          'Only when clients reach this app under another address than the default, e.g. https://cloud.example.com/exapps/mcp_gateway behind HaRP. The connector URL is this base followed by /mcp.',
        type: 'url',
        default: '',
        placeholder: 'https://cloud.example.com/index.php/apps/app_api/proxy/mcp_gateway',
      },
    ],
  };
}
