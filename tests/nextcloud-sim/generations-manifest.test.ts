// Manifest parsing and the container environment per AppAPI generation: access levels, list fields, empty
// defaults ("Array" before 35), --env overrides of declared names only, and registration that crashes on <= 34.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployEnvironment } from './appapi/deploy-env.js';
import { appApiGeneration } from './appapi/generations.js';
import { ManifestError, parseInfoXml, parseJsonInfo } from './appapi/manifest.js';
import type { FixtureApp } from './fixture-app.js';
import { startFixtureApp } from './fixture-app.js';
import type { Simulator } from './index.js';
import { startSimulator } from './index.js';

const BEFORE_35 = ['32.0.5', '32.0.10', '33.0.4', '34.0.3'];

function infoXml(routes: string, variables = ''): string {
  return `<?xml version="1.0"?>
<info><id>envapp</id><name>Env App</name><version>1.2.3</version>
<external-app><routes>${routes}</routes>${variables ? `<environment-variables>${variables}</environment-variables>` : ''}</external-app></info>`;
}
const route = (url: string, level: string, extra = '') =>
  `<route><url>${url}</url><verb>GET</verb><access_level>${level}</access_level>${extra}</route>`;
const variable = (name: string, defaultElement: string) =>
  `<variable><name>${name}</name><display-name>${name}</display-name>${defaultElement}</variable>`;

const VARIABLES = [
  variable('WITH_VALUE', '<default>x</default>'),
  variable('EMPTY_PAIR', '<default></default>'),
  variable('SELF_CLOSING', '<default/>'),
  variable('NO_DEFAULT', ''),
  variable('OVERRIDDEN', '<default>old</default>'),
].join('');

describe('manifest parsing by release', () => {
  it('tells an empty <default> from a missing one', () => {
    const manifest = parseInfoXml(infoXml(route('^\\/?$', 'PUBLIC'), VARIABLES));
    expect(manifest.environmentVariables.map((entry) => [entry.name, entry.default, entry.defaultElement])).toEqual([
      ['WITH_VALUE', 'x', 'value'],
      ['EMPTY_PAIR', '', 'empty'],
      ['SELF_CLOSING', '', 'empty'],
      ['NO_DEFAULT', '', 'missing'],
      ['OVERRIDDEN', 'old', 'value'],
    ]);
  });

  it('<= 34: an XML access level that is no exact name yields a null route whose insert fails; 35 refuses it', () => {
    const xml = infoXml(route('^\\/?first$', 'PUBLIC') + route('^\\/?second$', 'user') + route('^\\/?third$', 'ADMIN'));
    for (const version of BEFORE_35) {
      const manifest = parseInfoXml(xml, appApiGeneration(version));
      expect(manifest.routes.map((entry) => entry.url)).toEqual(['^\\/?first$']);
      expect(manifest.routeInsertFailure).toMatch(/route #1: invalid access level/);
    }
    expect(() => parseInfoXml(xml, appApiGeneration('35.0.0'))).toThrow(/invalid 'access_level' 'user'/);
    // A missing level is a TypeError in getAppInfo (nothing is stored) before 35, a validation error on 35.
    expect(() => parseInfoXml(infoXml('<route><url>^x$</url><verb>GET</verb></route>'), appApiGeneration('34.0.3'))).toThrow(
      /must be of type string, null given/,
    );
    expect(() => parseInfoXml(infoXml('<route><url>^x$</url><verb>GET</verb></route>'), appApiGeneration('35.0.0'))).toThrow(ManifestError);
  });

  it('keeps <headers_to_exclude> from XML only on 35; decodes <bruteforce_protection> everywhere', () => {
    const xml = infoXml(
      route(
        '^\\/?x$',
        'USER',
        '<headers_to_exclude>["X-Private"]</headers_to_exclude><bruteforce_protection>[401,429]</bruteforce_protection>',
      ),
    );
    for (const version of BEFORE_35) {
      expect(parseInfoXml(xml, appApiGeneration(version)).routes[0]).toMatchObject({
        access_level: 1,
        headers_to_exclude: [],
        bruteforce_protection: [401, 429],
      });
    }
    expect(parseInfoXml(xml, appApiGeneration('35.0.0')).routes[0]).toMatchObject({
      headers_to_exclude: ['x-private'],
      bruteforce_protection: [401, 429],
    });
    // JSON arrays work everywhere.
    const json = JSON.stringify({
      id: 'j',
      name: 'J',
      version: '1',
      routes: [{ url: '^\\/?x$', verb: 'GET', access_level: 0, headers_to_exclude: ['Cookie'] }],
    });
    for (const version of [...BEFORE_35, '35.0.0'])
      expect(parseJsonInfo(json, 'j', appApiGeneration(version)).routes[0]!.headers_to_exclude).toEqual(['cookie']);
  });

  it('<= 34 stores JSON access levels as given (numbers); 35 takes ints or names only', () => {
    const json = (level: unknown) =>
      JSON.stringify({ id: 'j', name: 'J', version: '1', routes: [{ url: '^\\/?x$', verb: 'GET', access_level: level }] });
    for (const version of BEFORE_35) {
      const generation = appApiGeneration(version);
      expect(parseJsonInfo(json(1), 'j', generation).routes[0]!.access_level).toBe(1);
      expect(parseJsonInfo(json('2'), 'j', generation).routes[0]!.access_level).toBe(2);
      expect(parseJsonInfo(json('USER'), 'j', generation).routeInsertFailure).toMatch(/not an integer/);
    }
    const latest = appApiGeneration('35.0.0');
    expect(parseJsonInfo(json('USER'), 'j', latest).routes[0]!.access_level).toBe(1);
    expect(() => parseJsonInfo(json('2'), 'j', latest)).toThrow(ManifestError);
    expect(() => parseJsonInfo(json(3), 'j', latest)).toThrow(/allowed: 0=PUBLIC/);
  });
});

describe('deployEnvironment()', () => {
  const manifest = (version: string) => parseInfoXml(infoXml(route('^\\/?$', 'PUBLIC'), VARIABLES), appApiGeneration(version));
  const base = { secret: 's3cret', port: 23001, nextcloudUrl: 'https://cloud.example.com/' };

  it('passes an empty <default> as "Array" before 35 and drops it on 35; a missing default is never passed', () => {
    for (const version of BEFORE_35) {
      const env = deployEnvironment(manifest(version), { ...base, appApiVersion: version });
      expect(env).toMatchObject({ WITH_VALUE: 'x', EMPTY_PAIR: 'Array', SELF_CLOSING: 'Array', OVERRIDDEN: 'old' });
      expect(env).not.toHaveProperty('NO_DEFAULT');
    }
    const env = deployEnvironment(manifest('35.0.0'), { ...base, appApiVersion: '35.0.0' });
    expect(env).toMatchObject({ WITH_VALUE: 'x', OVERRIDDEN: 'old' });
    for (const name of ['EMPTY_PAIR', 'SELF_CLOSING', 'NO_DEFAULT']) expect(env).not.toHaveProperty(name);
  });

  it('applies --env to declared names only; an empty final value is not passed', () => {
    for (const version of [...BEFORE_35, '35.0.0']) {
      const env = deployEnvironment(manifest(version), {
        ...base,
        appApiVersion: version,
        env: ['NO_DEFAULT=set', 'OVERRIDDEN=new', 'UNDECLARED=1', 'EMPTY_PAIR=', 'WITH_VALUE', 'SELF_CLOSING=a=b'],
      });
      expect(env).toMatchObject({ NO_DEFAULT: 'set', OVERRIDDEN: 'new', WITH_VALUE: 'x', SELF_CLOSING: 'a=b' });
      expect(env).not.toHaveProperty('UNDECLARED');
      expect(env).not.toHaveProperty('EMPTY_PAIR');
    }
  });

  it('injects what AppAPI injects: versions, identity, host by network, storage, URL as given, device; HP_* for HaRP', () => {
    const env = deployEnvironment(manifest('32.0.9'), { ...base, appApiVersion: '32.0.9' });
    expect(env).toMatchObject({
      AA_VERSION: '32.0.0',
      APP_SECRET: 's3cret',
      APP_ID: 'envapp',
      APP_DISPLAY_NAME: 'Env App',
      APP_VERSION: '1.2.3',
      APP_HOST: '127.0.0.1',
      APP_PORT: '23001',
      APP_PERSISTENT_STORAGE: '/nc_app_envapp_data',
      NEXTCLOUD_URL: 'https://cloud.example.com/',
      COMPUTE_DEVICE: 'CPU',
    });
    expect(Object.keys(env).some((name) => name.startsWith('HP_'))).toBe(false);
    expect(deployEnvironment(manifest('35.0.0'), { ...base, net: 'nextcloud' }).APP_HOST).toBe('0.0.0.0');
    const harp = deployEnvironment(manifest('35.0.0'), {
      ...base,
      net: 'nextcloud',
      harp: { sharedKey: 'key', frpAddress: 'appapi-harp:8782' },
    });
    expect(harp).toMatchObject({
      APP_HOST: '127.0.0.1',
      HP_FRP_ADDRESS: 'appapi-harp',
      HP_FRP_PORT: '8782',
      HP_SHARED_KEY: 'key',
      AA_VERSION: '35.0.0',
    });
    const direct = deployEnvironment(manifest('35.0.0'), {
      ...base,
      net: 'nextcloud',
      harp: { sharedKey: 'key', frpAddress: 'appapi-harp:8782', exappDirect: true },
    });
    expect(direct.APP_HOST).toBe('0.0.0.0');
    expect(direct).not.toHaveProperty('HP_SHARED_KEY');
    expect(deployEnvironment(manifest('35.0.0'), { ...base, computeDevice: 'cuda' })).toMatchObject({
      COMPUTE_DEVICE: 'CUDA',
      NVIDIA_VISIBLE_DEVICES: 'all',
    });
  });

  it('handles declared variables of --json-info only from 35 on', () => {
    const json = JSON.stringify({
      id: 'envapp',
      name: 'Env App',
      version: '1',
      port: 1,
      'environment-variables': { variable: [{ name: 'FROM_JSON', default: 'yes' }] },
    });
    expect(
      deployEnvironment(parseJsonInfo(json, 'envapp', appApiGeneration('35.0.0')), { ...base, env: ['FROM_JSON=over'] }).FROM_JSON,
    ).toBe('over');
    const old = deployEnvironment(parseJsonInfo(json, 'envapp', appApiGeneration('34.0.3')), {
      ...base,
      appApiVersion: '34.0.3',
      env: ['FROM_JSON=over'],
    });
    expect(old).not.toHaveProperty('FROM_JSON');
  });
});

describe.each(['33.0.4', '35.0.0'])('registering with occ on AppAPI %s', (version) => {
  let sim: Simulator;
  let app: FixtureApp;
  let dir: string;
  const generation = appApiGeneration(version);
  beforeAll(async () => {
    sim = await startSimulator({ dav: false, appApiVersion: version });
    app = await startFixtureApp();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sim-manifest-'));
    expect(
      (
        await sim.occ([
          'app_api:daemon:register',
          'dsp',
          'DSP',
          'docker-install',
          'http',
          'nextcloud-appapi-dsp:2375',
          'http://nextcloud.local',
          '--net',
          'nextcloud',
        ])
      ).code,
    ).toBe(0);
  });
  afterAll(async () => {
    await sim?.stop();
    await app?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('records --env and answers the environment AppAPI would inject', async () => {
    const json = JSON.stringify({
      id: 'envapp',
      name: 'Env App',
      version: '1.2.3',
      secret: 'sek',
      port: app.port,
      routes: [{ url: '^\\/?$', verb: 'GET', access_level: 0 }],
    });
    const result = await sim.occ(['app_api:app:register', 'envapp', 'dsp', '--json-info', json, '--env', 'UNDECLARED=1', '--wait-finish']);
    expect(result).toMatchObject({ code: 0 });
    expect(sim.lifecycle.registrations.get('envapp')?.env).toEqual({ UNDECLARED: '1' });
    const env = sim.deployEnvironment('envapp')!;
    expect(env).toMatchObject({
      AA_VERSION: generation.reportedVersion,
      APP_ID: 'envapp',
      APP_SECRET: 'sek',
      APP_PORT: String(app.port),
      APP_HOST: '0.0.0.0',
      NEXTCLOUD_URL: 'http://nextcloud.local',
    });
    expect(env).not.toHaveProperty('UNDECLARED');
    expect(await sim.occ(['app_api:app:unregister', 'envapp'])).toMatchObject({ code: 0 });
  });

  it('with --info-xml: empty defaults, declared overrides; manual-install apps get nothing injected', async () => {
    const file = path.join(dir, 'info.xml');
    fs.writeFileSync(file, infoXml(route('^\\/?$', 'PUBLIC'), VARIABLES));
    // The simulator deploys no container: the app process's port comes from --sim-port.
    const result = await sim.occ([
      'app_api:app:register',
      'envapp',
      'dsp',
      '--info-xml',
      file,
      '--env',
      'NO_DEFAULT=set',
      '--env',
      'UNDECLARED=1',
      '--sim-port',
      String(app.port),
      '--wait-finish',
    ]);
    expect(result).toMatchObject({ code: 0 });
    const env = sim.deployEnvironment('envapp')!;
    expect(env.NO_DEFAULT).toBe('set');
    expect(env).not.toHaveProperty('UNDECLARED');
    if (generation.manifest.emptyDefaultBecomesArray) expect(env.EMPTY_PAIR).toBe('Array');
    else expect(env).not.toHaveProperty('EMPTY_PAIR');
    expect(await sim.occ(['app_api:app:unregister', 'envapp'])).toMatchObject({ code: 0 });

    const manual = JSON.stringify({ id: 'manualapp', name: 'M', version: '1', secret: 's', port: app.port, routes: [] });
    expect(await sim.occ(['app_api:app:register', 'manualapp', 'manual_install', '--json-info', manual, '--wait-finish'])).toMatchObject({
      code: 0,
    });
    expect(sim.deployEnvironment('manualapp')).toBeNull();
  });

  it('crashes on a route whose insert fails (<= 34) and leaves the app behind; 35 refuses the manifest', async () => {
    const file = path.join(dir, 'broken.xml');
    fs.writeFileSync(file, infoXml(route('^\\/?first$', 'PUBLIC') + route('^\\/?second$', 'Admin')).replaceAll('envapp', 'brokenapp'));
    const result = await sim.occ(['app_api:app:register', 'brokenapp', 'dsp', '--info-xml', file, '--sim-port', String(app.port)]);
    expect(result.code).not.toBe(0);
    if (generation.manifest.strictRouteValidation) {
      expect(result.output).toMatch(/invalid 'access_level' 'Admin'/);
      expect(sim.state.apps.has('brokenapp')).toBe(false);
    } else {
      expect(result.output).toMatch(/getRoutes\(\) on null/);
      expect(sim.state.apps.get('brokenapp')).toMatchObject({ enabled: false, routes: [{ url: '^\\/?first$' }] });
      expect(await sim.occ(['app_api:app:register', 'brokenapp', 'dsp', '--info-xml', file])).toMatchObject({
        code: 3,
        output: 'ExApp brokenapp is already registered.',
      });
    }
  });
});
