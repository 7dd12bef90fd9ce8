// Route matching per AppAPI generation (PHP proxy) and on HaRP: the pattern × subject × release table, the
// fall-through of the oldest releases, `..` segments, HEAD, and anonymous callers on USER routes.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appApiGeneration } from './appapi/generations.js';
import type { ExAppRoute } from './context.js';
import type { Echo, FixtureApp } from './fixture-app.js';
import { startFixtureApp } from './fixture-app.js';
import type { Simulator } from './index.js';
import { startSimulator } from './index.js';
import { matchHarpRoute, matchPhpProxyRoute, phpRegex, phpRouteMatchesPath } from './proxy/routes-table.js';

const OLD = ['32.0.5', '32.0.8', '33.0.0', '33.0.2'];
const FIRST_MATCH = ['32.0.9', '33.0.3'];
const LEADING_SLASH = ['32.0.10', '32.0.14', '33.0.4', '34.0.0', '34.0.3', '35.0.0'];

describe('generations', () => {
  it('sorts releases into the three matching generations', () => {
    for (const version of OLD)
      expect(appApiGeneration(version).phpProxy).toMatchObject({
        matching: 'slash-delimited-bare-path',
        firstMatchDecides: false,
        refusesDotDotSegments: false,
      });
    for (const version of FIRST_MATCH)
      expect(appApiGeneration(version).phpProxy).toMatchObject({
        matching: 'anchored-bare-path',
        firstMatchDecides: true,
        refusesDotDotSegments: false,
      });
    for (const version of LEADING_SLASH)
      expect(appApiGeneration(version).phpProxy).toMatchObject({
        matching: 'anchored-leading-slash',
        firstMatchDecides: true,
        refusesDotDotSegments: true,
      });
    expect(appApiGeneration('32.0.9')).toMatchObject({ reportedVersion: '32.0.0', server: { string: '32.0.9' } });
    expect(appApiGeneration('34.0.3').reportedVersion).toBe('34.0.0');
    expect(() => appApiGeneration('31.0.9')).toThrow(/32 to 35/);
    expect(() => appApiGeneration('latest')).toThrow(/Not an AppAPI version/);
  });

  it("emulates PHP's pattern delimiter: an unescaped delimiter breaks the pattern", () => {
    expect(phpRegex('^/mcp$', '/', 'i')).toBeUndefined();
    expect(phpRegex('^\\/?mcp$', '/', 'i')?.test('MCP')).toBe(true);
    expect(phpRegex('^[/]$', '/', 'i')).toBeUndefined();
    expect(phpRegex('^a\\\\/b$', '/', 'i')).toBeUndefined(); // \\ escapes the backslash, the / is bare
    expect(phpRegex('^(?:a\\~b)', '~', 'i')?.test('a~b')).toBe(true);
    expect(phpRegex('^(?:a\\\\~b)', '~', 'i')).toBeUndefined();
  });
});

describe('pattern × subject × generation', () => {
  // [url, path after /proxy/<app>/ (no leading slash), routed on old, on 32.0.9/33.0.3, on >= 32.0.10/33.0.4]
  const table: [string, string, boolean, boolean, boolean][] = [
    ['^/mcp$', 'mcp', false, false, true],
    ['^\\/?mcp$', 'mcp', true, true, true],
    ['^mcp$', 'mcp', true, true, true], // the newest only through the bare-path fallback
    ['^\\/?MCP$', 'mcp', true, true, true], // case-insensitive everywhere
    ['mcp', 'x/mcp', true, false, false], // unanchored only in the oldest
    ['mcp', 'mcp/x', true, true, true],
    ['^\\/?mcp$', 'mcp/x', false, false, false],
    ['^/.*$', 'anything', false, false, true],
    ['^\\/?api\\/v1\\/me$', 'api/v1/me', true, true, true],
    ['^api/v1/me$', 'api/v1/me', false, true, true], // a bare / breaks the oldest delimiter
    [
      '^\\/?\\.well-known\\/(oauth-protected-resource(\\/mcp)?|openid-configuration)$',
      '.well-known/oauth-protected-resource/mcp',
      true,
      true,
      true,
    ],
    [
      '^\\/?\\.well-known\\/(oauth-protected-resource(\\/mcp)?|openid-configuration)$',
      '.well-known/openid-configuration',
      true,
      true,
      true,
    ],
    [
      '^\\/?\\.well-known\\/(oauth-protected-resource(\\/mcp)?|openid-configuration)$',
      'xwell-known/openid-configuration',
      false,
      false,
      false,
    ],
    ['^\\/?$', '', true, true, true],
    ['^/$', '', false, false, true],
    ['^\\/?(connections(\\/revoke)?)$', 'connections/revoke', true, true, true],
  ];
  it.each(table)('%s against %j', (url, path, old, firstMatch, leadingSlash) => {
    for (const version of OLD) expect(phpRouteMatchesPath(url, path, appApiGeneration(version)), version).toBe(old);
    for (const version of FIRST_MATCH) expect(phpRouteMatchesPath(url, path, appApiGeneration(version)), version).toBe(firstMatch);
    for (const version of LEADING_SLASH) expect(phpRouteMatchesPath(url, path, appApiGeneration(version)), version).toBe(leadingSlash);
  });

  it('HaRP: with the leading slash, anchored at the start, case-sensitive, in every generation', () => {
    const route = (url: string): ExAppRoute => ({ url, verb: 'GET', access_level: 0, headers_to_exclude: [], bruteforce_protection: [] });
    expect(matchHarpRoute([route('^\\/?mcp$')], '/mcp')).toBeDefined();
    expect(matchHarpRoute([route('^/mcp$')], '/mcp')).toBeDefined();
    expect(matchHarpRoute([route('^mcp$')], '/mcp')).toBeUndefined();
    expect(matchHarpRoute([route('^\\/?MCP$')], '/mcp')).toBeUndefined();
    expect(matchHarpRoute([route('mcp')], '/x/mcp')).toBeUndefined();
    expect(matchHarpRoute([route('(?P<name>x)'), route('^/.*$')], '/y')?.url).toBe('^/.*$');
  });

  it('oldest releases fall through a route the caller may not use; later ones let the first path+verb match decide', () => {
    const routes: ExAppRoute[] = [
      { url: '^\\/?api\\/.*$', verb: 'GET', access_level: 1, headers_to_exclude: [], bruteforce_protection: [] },
      { url: '^\\/?.*$', verb: 'GET,POST', access_level: 0, headers_to_exclude: [], bruteforce_protection: [] },
    ];
    const anonymous = (route: ExAppRoute) => route.access_level === 0;
    for (const version of OLD)
      expect(
        matchPhpProxyRoute(routes, 'api/x', 'GET', { generation: appApiGeneration(version), passesAccess: anonymous })?.access_level,
        version,
      ).toBe(0);
    for (const version of [...FIRST_MATCH, ...LEADING_SLASH])
      expect(
        matchPhpProxyRoute(routes, 'api/x', 'GET', { generation: appApiGeneration(version), passesAccess: anonymous }),
        version,
      ).toBeUndefined();
    // A route whose verb does not match is skipped everywhere.
    for (const version of [...OLD, ...FIRST_MATCH, ...LEADING_SLASH])
      expect(
        matchPhpProxyRoute(routes, 'api/x', 'POST', { generation: appApiGeneration(version), passesAccess: anonymous })?.access_level,
      ).toBe(0);
  });

  it('tries the leading slash and then the bare path per route, in route order', () => {
    const routes: ExAppRoute[] = [
      { url: '^mcp$', verb: 'GET', access_level: 2, headers_to_exclude: [], bruteforce_protection: [] },
      { url: '^/.*$', verb: 'GET', access_level: 0, headers_to_exclude: [], bruteforce_protection: [] },
    ];
    // The first route matches through the fallback before the second is looked at: its ADMIN level decides.
    expect(
      matchPhpProxyRoute(routes, 'mcp', 'GET', {
        generation: appApiGeneration('35.0.0'),
        passesAccess: (route) => route.access_level === 0,
      }),
    ).toBeUndefined();
  });
});

describe.each([
  ['32.0.5', 'slash-delimited-bare-path'],
  ['32.0.9', 'anchored-bare-path'],
  ['33.0.4', 'anchored-leading-slash'],
  ['35.0.0', 'anchored-leading-slash'],
])('through a simulator playing AppAPI %s (%s)', (version) => {
  let sim: Simulator;
  let app: FixtureApp;
  const generation = appApiGeneration(version);
  beforeAll(async () => {
    sim = await startSimulator({ dav: false, appApiVersion: version });
    app = await startFixtureApp();
    const route = (url: string, verb: string, access_level: 0 | 1 | 2) => ({ url, verb, access_level });
    sim.addExApp({
      id: 'gen',
      version: '1.0.0',
      secret: 'gen-secret',
      target: { protocol: 'http', host: '127.0.0.1', port: app.port },
      routes: [
        route('^/slash$', 'GET', 0),
        route('^\\/?both$', 'GET,POST', 0),
        route('^bare$', 'GET', 0),
        route('^\\/?user(\\/.*)?$', 'GET', 1),
        route('^\\/?headable$', 'GET,HEAD', 0),
        route('^\\/?.*$', 'GET', 0),
      ],
    });
    sim.addExApp({
      id: 'strict',
      version: '1.0.0',
      secret: 'strict-secret',
      target: { protocol: 'http', host: '127.0.0.1', port: app.port },
      routes: [route('^\\/?user$', 'GET', 1), route('^\\/?both$', 'GET', 0)],
    });
  });
  afterAll(async () => {
    await sim?.stop();
    await app?.close();
  });
  const php = (appId: string, path: string, init?: RequestInit) => fetch(`${sim.url}/index.php/apps/app_api/proxy/${appId}/${path}`, init);
  const harp = (appId: string, path: string, init?: RequestInit) => fetch(`${sim.url}/exapps/${appId}/${path}`, init);

  it('reports the matching Nextcloud and AppAPI versions', async () => {
    const status = (await (await fetch(`${sim.url}/status.php`)).json()) as { versionstring: string; version: string };
    expect(status.versionstring).toBe(generation.server.string);
    expect(status.version.startsWith(`${generation.server.string}.`)).toBe(true);
    const capabilities = (await (
      await fetch(`${sim.url}/ocs/v2.php/cloud/capabilities?format=json`, { headers: { 'ocs-apirequest': 'true' } })
    ).json()) as {
      ocs: { data: { version: { string: string; major: number }; capabilities: { app_api: { version: string } } } };
    };
    expect(capabilities.ocs.data.version).toMatchObject({ string: version, major: generation.major });
    expect(capabilities.ocs.data.capabilities.app_api.version).toBe(generation.reportedVersion);
    const echo = (await (await php('strict', 'both')).json()) as Echo;
    expect(echo.headers['aa-version']).toBe(generation.reportedVersion);
  });

  it('routes ^\\/?…$ patterns everywhere, ^/… only from 32.0.10 / 33.0.4, ^bare through the fallback', async () => {
    // `strict` has no catch-all: a pattern that does not route is Nextcloud's 404.
    expect((await php('strict', 'both')).status).toBe(200);
    const slash = (await (await php('gen', 'slash')).json()) as Echo;
    expect(slash.url).toBe('/slash');
    for (const [path, routed] of [
      ['both', true],
      ['bare', true],
    ] as const) {
      expect((await php('gen', path)).status, path).toBe(routed ? 200 : 404);
    }
    sim.addExApp({
      id: 'slashonly',
      version: '1',
      secret: 's',
      target: { protocol: 'http', host: '127.0.0.1', port: app.port },
      routes: [{ url: '^/mcp$', verb: 'GET', access_level: 0 }],
    });
    expect((await php('slashonly', 'mcp')).status).toBe(generation.phpProxy.matching === 'anchored-leading-slash' ? 200 : 404);
    // HaRP matches with the leading slash in every generation.
    expect((await harp('slashonly', 'mcp')).status).toBe(200);
    expect((await harp('strict', 'both')).status).toBe(200);
    sim.state.apps.delete('slashonly');
  });

  it('hides a USER route from anonymous callers: 404 through the PHP proxy (or the oldest fall through), 403 and a strike on HaRP', async () => {
    const anonymous = await php('gen', 'user/x');
    if (generation.phpProxy.firstMatchDecides) {
      expect(anonymous.status).toBe(404);
      expect(anonymous.headers.get('content-type')).toContain('text/html');
    } else {
      // The catch-all PUBLIC route behind it takes the request, anonymously.
      expect(anonymous.status).toBe(200);
      expect(((await anonymous.json()) as Echo).url).toBe('/user/x');
    }
    expect((await php('strict', 'user')).status).toBe(404);
    const before = sim.harpBlacklist.failuresFor('127.0.0.1');
    const forbidden = await harp('strict', 'user');
    expect(forbidden.status).toBe(403);
    expect(await forbidden.text()).toBe('403 Forbidden');
    expect(sim.harpBlacklist.failuresFor('127.0.0.1')).toBe(before + 1);
    expect((await php('strict', 'user', { headers: { cookie: sim.sessionCookie('alice') } })).status).toBe(200);
    sim.harpBlacklist.reset('127.0.0.1');
  });

  it('lets HEAD reach the GET action but fail the verb check, unless a route lists HEAD', async () => {
    expect((await php('strict', 'both', { method: 'HEAD' })).status).toBe(404);
    const head = await php('gen', 'headable', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    // Forwarded as GET.
    expect(app.on('/headable').at(-1)?.method).toBe('GET');
    expect((await php('gen', 'both', { method: 'PATCH' })).status).toBe(405);
  });

  it('lets a disabled app report init progress from 33.0.1 on (ex-app/state always)', async () => {
    const initializing = sim.addExApp({
      id: 'initializing',
      version: '1',
      secret: 'init-secret',
      target: { protocol: 'http', host: '127.0.0.1', port: app.port },
    });
    Object.assign(initializing, { enabled: false, status: { deploy: 100, init: 0, action: '', type: 'install', error: '' } });
    const headers = {
      'ex-app-id': 'initializing',
      'ex-app-version': '1',
      'authorization-app-api': Buffer.from(':init-secret').toString('base64'),
      'ocs-apirequest': 'true',
      'content-type': 'application/json',
      accept: 'application/json',
    };
    const status = await fetch(`${sim.url}/ocs/v1.php/apps/app_api/ex-app/status`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ progress: 10 }),
    });
    expect(status.status).toBe(generation.auth.statusExemptWhileInitializing ? 200 : 401);
    expect(generation.auth.statusExemptWhileInitializing).toBe(generation.major > 32);
    expect((await fetch(`${sim.url}/ocs/v1.php/apps/app_api/ex-app/state`, { headers })).status).toBe(200);
    sim.state.apps.delete('initializing');
  });

  it('refuses `..` segments from 32.0.10 / 33.0.4 only', async () => {
    // fetch() would normalise the dot segments away: send the path as written.
    const { port } = new URL(sim.url);
    const response = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: '/index.php/apps/app_api/proxy/gen/x/%2e%2e/echo' }, async (incoming) => {
          const chunks: Buffer[] = [];
          for await (const chunk of incoming) chunks.push(chunk as Buffer);
          resolve({ status: incoming.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        })
        .on('error', reject);
    });
    if (generation.phpProxy.refusesDotDotSegments) {
      expect(response.status).toBe(404);
    } else {
      expect(response.status).toBe(200);
      expect((JSON.parse(response.body) as Echo).url).toBe('/x/../echo');
    }
  });
});
