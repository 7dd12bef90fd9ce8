// The app's own reading of appinfo/info.xml (for `--json-info`) agrees with the simulated AppAPI's, which follows
// AppAPI's sources; and it refuses a route AppAPI would refuse, naming it.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ExAppManifestError, readExAppManifest } from '../../lib/exapp-manifest.js';
import { parseInfoXml } from '../nextcloud-sim/appapi/manifest.js';
import { infoXmlPath } from '../../scripts/json-info.js';

const manifest = (routes: string) =>
  `<?xml version="1.0"?><info><id>demo</id><name lang="en">Demo</name><version>1.10</version><external-app><routes>${routes}</routes></external-app></info>`;

describe('ExApp manifest', () => {
  it('reads the shipped info.xml as AppAPI does', () => {
    const xml = fs.readFileSync(infoXmlPath, 'utf8');
    const ours = readExAppManifest(xml);
    const appApi = parseInfoXml(xml);
    expect(ours).toEqual({ id: appApi.id, name: appApi.name, version: appApi.version, routes: appApi.routes });
    expect(ours.routes.length).toBeGreaterThan(3);
  });

  it('keeps versions as text and reads excluded headers and brute-force statuses as lists', () => {
    const read = readExAppManifest(
      manifest(
        '<route><url>^a$</url><verb>GET</verb><access_level>USER</access_level><headers_to_exclude><header>X-Secret</header></headers_to_exclude><bruteforce_protection><status>401</status><status>403</status></bruteforce_protection></route>',
      ),
    );
    expect(read.version).toBe('1.10');
    expect(read.routes).toEqual([
      { url: '^a$', verb: 'GET', access_level: 1, headers_to_exclude: ['x-secret'], bruteforce_protection: [401, 403] },
    ]);
  });

  it('refuses a route AppAPI would refuse, saying where', () => {
    expect(() => readExAppManifest(manifest('<route><url>^a$</url><verb>GET</verb><access_level>EVERYONE</access_level></route>'))).toThrow(
      ExAppManifestError,
    );
    expect(() => readExAppManifest(manifest('<route><url>^a$</url><verb>GET</verb><access_level>EVERYONE</access_level></route>'))).toThrow(
      /access_level/,
    );
    expect(() => readExAppManifest(manifest('<route><verb>GET</verb><access_level>USER</access_level></route>'))).toThrow(/url/);
  });
});
