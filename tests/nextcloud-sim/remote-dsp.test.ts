// A remote Docker Socket Proxy daemon over https: AppAPI authenticates at the proxy's HAProxy with
// app_api_haproxy_user and the daemon's password on every request to the ExApp, and moves the client's
// Authorization into X-Original-Authorization.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Echo, FixtureApp } from './fixture-app.js';
import { appApiUser, startFixtureApp } from './fixture-app.js';
import type { Simulator } from './index.js';
import { startSimulator } from './index.js';

const PROXY_BASIC = `Basic ${Buffer.from('app_api_haproxy_user:dsp-password').toString('base64')}`;

describe.each(['32.0.9', '34.0.3'])('on AppAPI %s', (version) => {
  let sim: Simulator;
  let app: FixtureApp;
  let plain: FixtureApp;
  let registration: { code: number; output: string };
  beforeAll(async () => {
    sim = await startSimulator({ dav: false, appApiVersion: version });
    app = await startFixtureApp();
    plain = await startFixtureApp();
    registration = await sim.occ([
      'app_api:daemon:register',
      'dsp',
      'DSP',
      'docker-install',
      'https',
      'dsp.example:2375',
      'https://cloud.example.com',
      '--haproxy_password',
      'dsp-password',
    ]);
    const json = (id: string, port: number) =>
      JSON.stringify({
        id,
        name: id,
        version: '1.0.0',
        secret: `${id}-secret`,
        port,
        routes: [{ url: '^\\/?.*$', verb: 'GET,POST', access_level: 0 }],
      });
    expect(
      await sim.occ(['app_api:app:register', 'remote', 'dsp', '--json-info', json('remote', app.port), '--wait-finish']),
    ).toMatchObject({ code: 0 });
    expect(
      (
        await sim.occ([
          'app_api:daemon:register',
          'dsp_http',
          'DSP',
          'docker-install',
          'http',
          'nextcloud-appapi-dsp:2375',
          'http://nextcloud.local',
          '--haproxy_password',
          'x',
        ])
      ).code,
    ).toBe(0);
    expect(
      await sim.occ(['app_api:app:register', 'local', 'dsp_http', '--json-info', json('local', plain.port), '--wait-finish']),
    ).toMatchObject({ code: 0 });
  });
  afterAll(async () => {
    await sim?.stop();
    await app?.close();
    await plain?.close();
  });

  it('warns about the deprecated daemon type from 34 on', () => {
    expect(registration.code).toBe(0);
    expect(registration.output.includes('Docker Socket Proxy) is deprecated')).toBe(version.startsWith('34'));
  });

  it("authenticates AppAPI's own lifecycle calls at the proxy", () => {
    for (const path of ['/heartbeat', '/init', '/enabled']) {
      const calls = app.on(path);
      expect(calls.length, path).toBeGreaterThan(0);
      for (const call of calls) expect(call.headers.authorization, path).toBe(PROXY_BASIC);
    }
    expect(app.on('/heartbeat')[0]!.headers['authorization-app-api']).toBeUndefined();
    expect(app.on('/init')[0]!.headers['x-original-authorization']).toBeUndefined();
  });

  it("moves the client's Authorization to X-Original-Authorization through the PHP proxy", async () => {
    const echo = (await (
      await fetch(`${sim.url}/index.php/apps/app_api/proxy/remote/mcp`, {
        headers: { authorization: 'Bearer client-token', cookie: sim.sessionCookie('alice') },
      })
    ).json()) as Echo;
    expect(echo.headers.authorization).toBe(PROXY_BASIC);
    expect(echo.headers['x-original-authorization']).toBe('Bearer client-token');
    expect(appApiUser(echo.headers)).toBe('alice');
    // A client-sent X-Original-Authorization is replaced when the client sends Authorization, kept when it does not.
    const replaced = (await (
      await fetch(`${sim.url}/index.php/apps/app_api/proxy/remote/mcp`, {
        headers: { authorization: 'Bearer real', 'x-original-authorization': 'Bearer forged' },
      })
    ).json()) as Echo;
    expect(replaced.headers['x-original-authorization']).toBe('Bearer real');
    const spoofed = (await (
      await fetch(`${sim.url}/index.php/apps/app_api/proxy/remote/mcp`, { headers: { 'x-original-authorization': 'Bearer forged' } })
    ).json()) as Echo;
    expect(spoofed.headers.authorization).toBe(PROXY_BASIC);
    expect(spoofed.headers['x-original-authorization']).toBe('Bearer forged');
  });

  it('adds nothing for a Docker Socket Proxy over http', async () => {
    expect(plain.on('/heartbeat')[0]!.headers.authorization).toBeUndefined();
    const echo = (await (
      await fetch(`${sim.url}/index.php/apps/app_api/proxy/local/mcp`, { headers: { authorization: 'Bearer client-token' } })
    ).json()) as Echo;
    expect(echo.headers.authorization).toBe('Bearer client-token');
    expect(echo.headers['x-original-authorization']).toBeUndefined();
  });

  it('gives the container environment of a Docker daemon: no HaRP variables, host network by default', () => {
    expect(sim.deployEnvironment('remote')).toMatchObject({
      APP_ID: 'remote',
      APP_HOST: '127.0.0.1',
      APP_PORT: String(app.port),
      NEXTCLOUD_URL: 'https://cloud.example.com',
      AA_VERSION: `${version.split('.')[0]}.0.0`,
    });
    expect(Object.keys(sim.deployEnvironment('remote')!).filter((name) => name.startsWith('HP_'))).toEqual([]);
  });
});
