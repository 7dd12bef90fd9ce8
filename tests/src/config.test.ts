import { describe, expect, it } from 'vitest';
import { ConfigError, connectorUrl, loadConfig } from '../../src/config.js';

const base = { APP_SECRET: 's'.repeat(32), APP_VERSION: '0.1.0', NEXTCLOUD_URL: 'https://cloud.example.com/' };

describe('loadConfig', () => {
  it('reads the AppAPI variables and derives the public URL from the PHP proxy prefix', () => {
    const config = loadConfig({ ...base, APP_PORT: '23001', APP_HOST: '0.0.0.0', APP_PERSISTENT_STORAGE: '/nc_app_mcp_gateway_data' });
    expect(config.appId).toBe('mcp_gateway');
    expect(config.nextcloudUrl).toBe('https://cloud.example.com');
    expect(config.listen).toEqual({ kind: 'tcp', host: '0.0.0.0', port: 23001 });
    expect(config.storageDir).toBe('/nc_app_mcp_gateway_data');
    expect(config.publicBaseUrl).toBe('https://cloud.example.com/index.php/apps/app_api/proxy/mcp_gateway');
    expect(connectorUrl(config.publicBaseUrl)).toBe('https://cloud.example.com/index.php/apps/app_api/proxy/mcp_gateway/mcp');
  });

  it('listens on the HaRP unix socket when HP_SHARED_KEY is set', () => {
    expect(loadConfig({ ...base, HP_SHARED_KEY: 'k' }).listen).toEqual({ kind: 'socket', path: '/tmp/exapp.sock' });
    expect(loadConfig({ ...base, HP_SHARED_KEY: 'k', HP_EXAPP_SOCK: '/run/x.sock' }).listen).toEqual({
      kind: 'socket',
      path: '/run/x.sock',
    });
  });

  it('treats empty values (how AppAPI passes unset variables) as absent', () => {
    expect(loadConfig({ ...base, MCP_GATEWAY_PUBLIC_URL: '', HP_SHARED_KEY: '' }).listen.kind).toBe('tcp');
  });

  it('treats "Array" (what AppAPI 32-34 pass for an empty manifest default) as not set, and says so', () => {
    const config = loadConfig({
      ...base,
      MCP_GATEWAY_PUBLIC_URL: 'Array',
      MCP_GATEWAY_PUBLIC_URL_ALIASES: 'Array',
      MCP_GATEWAY_TRUSTED_ISSUERS: 'Array',
      MCP_GATEWAY_ALLOWED_ORIGINS: 'Array',
    });
    expect(config.publicBaseUrl).toBe('https://cloud.example.com/index.php/apps/app_api/proxy/mcp_gateway');
    expect(config.publicBaseAliases).toEqual([]);
    expect(config.trustedIssuers).toEqual([]);
    expect(config.allowedOrigins).toEqual([]);
    expect(config.warnings).toHaveLength(4);
    expect(config.warnings.join('\n')).toContain('MCP_GATEWAY_TRUSTED_ISSUERS is "Array"');
    // Only our own variables: anything else keeps its value.
    expect(loadConfig({ ...base, APP_DISPLAY_NAME: 'Array' }).appDisplayName).toBe('Array');
  });

  it('decides the answer mode per request unless JSON is forced; the former sse value means the same, with a warning', () => {
    expect(loadConfig(base).responseMode).toBe('auto');
    expect(loadConfig({ ...base, MCP_GATEWAY_RESPONSE_MODE: 'json' }).responseMode).toBe('json');
    const former = loadConfig({ ...base, MCP_GATEWAY_RESPONSE_MODE: 'sse' });
    expect(former.responseMode).toBe('auto');
    expect(former.warnings.join('\n')).toContain('MCP_GATEWAY_RESPONSE_MODE=sse is treated as auto');
  });

  it('honours a public base URL override', () => {
    const config = loadConfig({ ...base, MCP_GATEWAY_PUBLIC_URL: 'https://cloud.example.com/exapps/mcp_gateway/' });
    expect(config.publicBaseUrl).toBe('https://cloud.example.com/exapps/mcp_gateway');
  });

  it('names every missing or invalid variable', () => {
    let caught: unknown;
    try {
      loadConfig({ APP_PORT: '70000', NEXTCLOUD_URL: 'ftp://x' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const message = (caught as ConfigError).message;
    expect(message).toMatch(/APP_SECRET is not set/);
    expect(message).toMatch(/APP_VERSION is not set/);
    expect(message).toMatch(/APP_PORT .*65535/);
    expect(message).toMatch(/NEXTCLOUD_URL must be an http\(s\) URL/);
  });

  it('never echoes the secret in an error', () => {
    expect(() => loadConfig({ ...base, APP_SECRET: 'short-secret', APP_ID: 'Bad-Id' })).toThrow(ConfigError);
    try {
      loadConfig({ ...base, APP_SECRET: 'short-secret' });
    } catch (error) {
      expect(String(error)).not.toContain('short-secret');
      expect(String(error)).toContain('APP_SECRET');
    }
  });
});
