// Which entrance a request came through, and the public URLs each entrance hands out.
import { describe, expect, it } from 'vitest';
import { entranceBases, entranceOf, originSetByPhpProxy, publicEndpoints } from '../../../src/http/urls.js';

const nextcloud = 'https://cloud.example.com';
const php = `${nextcloud}/index.php/apps/app_api/proxy/mcp_gateway`;
const harp = `${nextcloud}/exapps/mcp_gateway`;
const key = 'the-daemons-shared-key';

describe('whose X-Origin-IP a request carries', () => {
  const origin = { 'x-origin-ip': '203.0.113.7' };

  it('believes it without HaRP (no shared key configured): only the PHP proxy can have set it there', () => {
    expect(originSetByPhpProxy(origin, undefined)).toBe(true);
    expect(originSetByPhpProxy({ ...origin, 'harp-shared-key': 'anything' }, undefined)).toBe(true);
    expect(originSetByPhpProxy({}, undefined)).toBe(false);
  });

  it('behind HaRP, believes it only with the daemon shared key AppAPI adds to the requests it signs', () => {
    expect(originSetByPhpProxy({ ...origin, 'harp-shared-key': key }, key)).toBe(true);
    expect(originSetByPhpProxy({ 'harp-shared-key': key }, key)).toBe(false);
  });

  it('behind HaRP, takes it for a client claim with a wrong, missing, empty or repeated key', () => {
    expect(originSetByPhpProxy(origin, key)).toBe(false);
    expect(originSetByPhpProxy({ ...origin, 'harp-shared-key': 'made-up' }, key)).toBe(false);
    expect(originSetByPhpProxy({ ...origin, 'harp-shared-key': '' }, key)).toBe(false);
    expect(originSetByPhpProxy({ ...origin, 'harp-shared-key': `${key}x` }, key)).toBe(false);
    // Node joins a repeated header into one value; a client adding its copy to AppAPI's does not pass either.
    expect(originSetByPhpProxy({ ...origin, 'harp-shared-key': `${key}, ${key}` }, key)).toBe(false);
    expect(originSetByPhpProxy({ ...origin, 'harp-shared-key': [key, key] as unknown as string }, key)).toBe(false);
  });
});

describe('entrances', () => {
  it('tells the PHP proxy (which always adds X-Origin-IP) from HaRP, and from direct access without HaRP', () => {
    expect(entranceOf({ 'x-origin-ip': '203.0.113.7', 'harp-shared-key': key }, key)).toBe('php');
    expect(entranceOf({}, key)).toBe('harp');
    expect(entranceOf({}, undefined)).toBe('direct');
    expect(entranceOf({ 'x-origin-ip': '203.0.113.7' }, undefined)).toBe('php');
  });

  it('takes a client X-Origin-IP through HaRP for what it is: the HaRP entrance', () => {
    expect(entranceOf({ 'x-origin-ip': '203.0.113.7' }, key)).toBe('harp');
    expect(entranceOf({ 'x-origin-ip': '203.0.113.7', 'harp-shared-key': 'guessed' }, key)).toBe('harp');
  });

  it('derives each entrance from the configured base, whichever form the admin chose', () => {
    for (const configured of [php, harp]) {
      const bases = entranceBases(configured, [], 'mcp_gateway', true);
      expect(bases.php).toBe(php);
      expect(bases.harp).toBe(harp);
      expect(publicEndpoints(bases, 'php', 'mcp_gateway').connector).toBe(`${configured}/mcp`);
    }
    // An admin's own reverse proxy stands for both.
    const custom = entranceBases('https://mcp.example.com', [], 'mcp_gateway', true);
    expect([custom.php, custom.harp]).toEqual(['https://mcp.example.com', 'https://mcp.example.com']);
  });

  it('gives each entrance and MCP URL its own resource, issuer and metadata, and streams only where it can', () => {
    const bases = entranceBases(
      php,
      [`https://other.example.com/exapps/mcp_gateway`, 'https://other.example.com/apps/app_api/proxy/mcp_gateway'],
      'mcp_gateway',
      true,
    );
    const viaPhp = publicEndpoints(bases, 'php', 'mcp_gateway');
    const viaHarp = publicEndpoints(bases, 'harp', 'mcp_gateway');
    expect(viaPhp.issuer).toBe(php);
    expect(viaHarp.issuer).toBe(harp);
    expect(viaHarp.resourceOf('sse')).toBe(`${harp}/sse`);
    expect(viaHarp.resourceMetadataOf('sse')).toBe(`${harp}/.well-known/oauth-protected-resource/sse`);
    // A token is accepted at an entrance only for its own URLs (and its aliases').
    expect(viaPhp.audiencesOf('mcp')).toEqual([`${php}/mcp`, 'https://other.example.com/apps/app_api/proxy/mcp_gateway/mcp']);
    expect(viaHarp.audiencesOf('sse')).toEqual([`${harp}/sse`, 'https://other.example.com/exapps/mcp_gateway/sse']);
    expect(viaPhp.streaming).toBe(false);
    expect(viaHarp.streaming).toBe(true);
    expect(publicEndpoints(bases, 'harp', 'mcp_gateway', true).streaming).toBe(false);
    // Any of them may be asked for at the authorization server.
    expect(viaPhp.acceptedResources).toEqual(expect.arrayContaining([`${php}/mcp`, `${php}/sse`, `${harp}/mcp`, `${harp}/sse`]));
    // The login brings the person back to the entrance they used.
    expect(viaHarp.loginUrl(`${harp}/connections`)).toBe(
      `${nextcloud}/index.php/login?redirect_url=${encodeURIComponent('/exapps/mcp_gateway/connections')}`,
    );
  });

  it('names no HaRP resource where the deployment has no HaRP', () => {
    const viaPhp = publicEndpoints(entranceBases(php, [], 'mcp_gateway', false), 'php', 'mcp_gateway');
    expect(viaPhp.harpBase).toBeNull();
    expect(viaPhp.acceptedResources).toEqual([`${php}/mcp`, `${php}/sse`]);
  });
});
