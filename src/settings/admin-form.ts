// The admin settings form this app registers with AppAPI's declarative settings on enable.
// Values land in the app's config (section_type admin) and arrive back as strings.
export const ADMIN_FORM_ID = 'mcp_gateway_admin';

export const settingKeys = {
  publicBaseUrl: 'public_base_url',
} as const;

export function adminSettingsForm(connectorUrl: string) {
  return {
    id: ADMIN_FORM_ID,
    priority: 10,
    section_type: 'admin',
    section_id: 'declarative_settings',
    title: 'MCP Gateway',
    description: `Connector URL to paste into ChatGPT, Claude or any MCP client: ${connectorUrl}`,
    fields: [
      {
        id: settingKeys.publicBaseUrl,
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
