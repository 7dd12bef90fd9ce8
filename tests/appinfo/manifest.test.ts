// Checks on appinfo/info.xml that a real AppAPI would otherwise only reveal at install time: empty defaults that
// AppAPI 32-34 turn into "Array", variables the README documents but AppAPI would drop, a tag that does not match.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { APPAPI_INJECTED_VARIABLES, DECLARED_VARIABLES, loadConfig } from '../../src/config.js';
import { appApiGeneration } from '../nextcloud-sim/appapi/generations.js';
import { parseInfoXml } from '../nextcloud-sim/appapi/manifest.js';
import { matchHarpRoute, matchPhpProxyRoute } from '../nextcloud-sim/proxy/routes-table.js';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const xml = fs.readFileSync(path.join(root, 'appinfo', 'info.xml'), 'utf8');
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
const manifest = parseInfoXml(xml);

/** The variable names of the README's Configuration table (first column, in backticks). */
function documentedVariables(): string[] {
  const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 5));
  return [...section.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \|/gm)].map((match) => match[1]!);
}

/** Every path the app serves through the proxies, each method it answers there, and who may reach it. */
const SERVED: Array<{ path: string; methods: string[]; access: 0 | 1 | 2 }> = [
  { path: '', methods: ['GET'], access: 0 },
  { path: 'mcp', methods: ['GET', 'POST', 'DELETE'], access: 0 },
  { path: 'sse', methods: ['GET'], access: 0 },
  { path: 'messages', methods: ['POST'], access: 0 },
  ...['authorize', 'token', 'register', 'revoke', 'jwks'].map((name) => ({
    path: `oauth/${name}`,
    methods: ['GET', 'POST'],
    access: 0 as const,
  })),
  ...['oauth-protected-resource', 'oauth-protected-resource/mcp', 'oauth-authorization-server', 'openid-configuration'].map((name) => ({
    path: `.well-known/${name}`,
    methods: ['GET'],
    access: 0 as const,
  })),
  { path: 'api/v1/me', methods: ['GET'], access: 0 },
  { path: 'connections', methods: ['GET', 'POST'], access: 0 },
  { path: 'connections/revoke', methods: ['GET', 'POST'], access: 0 },
  { path: 'admin/connections', methods: ['GET', 'POST'], access: 2 },
  { path: 'admin/connections/revoke', methods: ['GET', 'POST'], access: 2 },
  { path: 'admin/audit', methods: ['GET', 'POST'], access: 2 },
  { path: 'admin/api/v1/status', methods: ['GET'], access: 2 },
  { path: 'admin/api/v1/audit', methods: ['GET'], access: 2 },
];
const RELEASES = ['32.0.5', '32.0.9', '32.0.10', '33.0.2', '33.0.3', '33.0.4', '34.0.3', '35.0.0'];

describe('appinfo/info.xml', () => {
  it.each(RELEASES)('routes every path the app serves, at its access level, through the PHP proxy of AppAPI %s', (release) => {
    const generation = appApiGeneration(release);
    // Parsed as that release registers it: 35 would abort on an invalid route, 32-34 crash half-way.
    const parsed = parseInfoXml(xml, generation);
    expect(parsed.routeInsertFailure).toBeUndefined();
    const routes = parsed.routes;
    for (const { path: served, methods, access } of SERVED) {
      for (const method of methods) {
        expect(matchPhpProxyRoute(routes, served, method, { generation })?.access_level, `${method} /${served}`).toBe(access);
      }
    }
    // Nothing else: lifecycle endpoints and unknown paths stay unreachable from outside.
    for (const hidden of ['heartbeat', 'init', 'enabled', 'mcpx', 'oauth/authorize/x', 'admin', 'connections/x']) {
      expect(matchPhpProxyRoute(routes, hidden, 'GET', { generation }), hidden).toBeUndefined();
    }
  });

  it('routes every path the app serves, at its access level, through HaRP', () => {
    const routes = manifest.routes;
    for (const { path: served, access } of SERVED) expect(matchHarpRoute(routes, `/${served}`)?.access_level, `/${served}`).toBe(access);
    for (const hidden of ['/heartbeat', '/init', '/enabled', '/mcpx']) expect(matchHarpRoute(routes, hidden), hidden).toBeUndefined();
  });

  it('has no empty <default> (AppAPI 32-34 would pass the string "Array")', () => {
    expect(xml).not.toMatch(/<default\s*\/>|<default>\s*<\/default>/);
  });

  it('declares every variable the README documents for Docker installs, and nothing else', () => {
    const declared = manifest.environmentVariables.map((variable) => variable.name).sort();
    const documented = documentedVariables();
    expect(documented.length).toBeGreaterThan(10);
    expect(declared).toEqual(documented.filter((name) => !(APPAPI_INJECTED_VARIABLES as readonly string[]).includes(name)).sort());
    expect(declared).toEqual([...DECLARED_VARIABLES].sort());
  });

  it('gives each declared variable a default the app itself would choose (or none)', () => {
    const required = { APP_SECRET: 's'.repeat(32), APP_VERSION: '1', NEXTCLOUD_URL: 'https://cloud.example.com' };
    const withManifestDefaults = Object.fromEntries(
      manifest.environmentVariables.filter((variable) => variable.default !== '').map((variable) => [variable.name, variable.default]),
    );
    const { warnings, ...fromManifest } = loadConfig({ ...required, ...withManifestDefaults });
    const { warnings: _none, ...builtIn } = loadConfig(required);
    expect(warnings).toEqual([]);
    expect(fromManifest).toEqual(builtIn);
  });

  it('names an image tag equal to the version, and the same version as package.json', () => {
    const version = /<version>([^<]+)<\/version>/.exec(xml)![1];
    expect(/<image-tag>([^<]+)<\/image-tag>/.exec(xml)![1]).toBe(version);
    expect((JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version).toBe(version);
  });
});
