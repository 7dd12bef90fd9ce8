// Checks on appinfo/info.xml that a real AppAPI would otherwise only reveal at install time: empty defaults that
// AppAPI 32-34 turn into "Array", variables the README documents but AppAPI would drop, a tag that does not match.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { APPAPI_INJECTED_VARIABLES, DECLARED_VARIABLES, loadConfig } from '../../src/config.js';
import { parseInfoXml } from '../nextcloud-sim/appapi/manifest.js';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const xml = fs.readFileSync(path.join(root, 'appinfo', 'info.xml'), 'utf8');
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
const manifest = parseInfoXml(xml);

/** The variable names of the README's Configuration table (first column, in backticks). */
function documentedVariables(): string[] {
  const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 5));
  return [...section.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \|/gm)].map((match) => match[1]!);
}

describe('appinfo/info.xml', () => {
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

  it("gives each declared variable a default the app itself would choose (or none)", () => {
    const required = { APP_SECRET: 's'.repeat(32), APP_VERSION: '1', NEXTCLOUD_URL: 'https://cloud.example.com' };
    const withManifestDefaults = Object.fromEntries(manifest.environmentVariables.filter((variable) => variable.default !== '').map((variable) => [variable.name, variable.default]));
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
