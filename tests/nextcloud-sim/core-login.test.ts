// Nextcloud core tries `Authorization: Basic` as a login before any app controller runs: a failure ends the
// request with 401 {"message":""} and a throttled login attempt — through the PHP proxy the app never sees it.
// HaRP's user lookup registers the failure too, but forwards the request anonymously. Bearer is never a login.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Echo, FixtureApp } from './fixture-app.js';
import { appApiUser, startFixtureApp } from './fixture-app.js';
import type { Simulator } from './index.js';
import { startSimulator } from './index.js';

let sim: Simulator;
let app: FixtureApp;
const IP = '127.0.0.1';
const basic = (credentials: string) => `Basic ${Buffer.from(credentials).toString('base64')}`;

beforeAll(async () => {
  sim = await startSimulator({ dav: false });
  app = await startFixtureApp();
  sim.addExApp({
    id: 'basicapp',
    version: '1.0.0',
    secret: 'basic-secret',
    target: { protocol: 'http', host: '127.0.0.1', port: app.port },
    routes: [
      { url: '^\\/?oauth\\/token$', verb: 'POST', access_level: 0 },
      { url: '^\\/?.*$', verb: 'GET', access_level: 0 },
    ],
  });
});
afterAll(async () => {
  await sim?.stop();
  await app?.close();
});
afterEach(() => {
  sim.throttler.reset(IP, 'login');
  sim.harpBlacklist.reset(IP);
  sim.setUserEnabled('carol', true);
  sim.setTwoFactor('bob', false);
});

const attempts = () => sim.throttler.attemptsFor(IP, 'login');
const php = (path: string, headers: Record<string, string>, prefix = '/index.php') =>
  fetch(`${sim.url}${prefix}/apps/app_api/proxy/basicapp/${path}`, {
    method: path.startsWith('oauth') ? 'POST' : 'GET',
    headers,
    body: path.startsWith('oauth') ? 'grant_type=x' : undefined,
  });

describe('PHP proxy', () => {
  it('answers a failed Basic login itself: 401 {"message":""}, JSON, no WWW-Authenticate, one failed login', async () => {
    const hits = app.received.length;
    for (const prefix of ['/index.php', '']) {
      const before = attempts();
      const response = await php(
        'oauth/token',
        { authorization: basic('client-id:client-secret'), 'content-type': 'application/x-www-form-urlencoded' },
        prefix,
      );
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(response.headers.get('www-authenticate')).toBeNull();
      expect(await response.text()).toBe('{"message":""}');
      expect(attempts()).toBe(before + 1);
    }
    expect(app.received.length).toBe(hits);
  });

  it('renders an HTML error page for browsers (Accept contains html)', async () => {
    const response = await php('page', { authorization: basic('alice:wrong'), accept: 'text/html,application/xhtml+xml' });
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toContain('text/html');
  });

  it('logs a valid Basic login in, and forwards headers that are no credentials (no colon, empty parts, no payload)', async () => {
    const alice = (await (await php('me', { authorization: basic('alice:alice') })).json()) as Echo;
    expect(appApiUser(alice.headers)).toBe('alice');
    for (const header of [basic('no-colon'), basic('user:'), basic(':secret'), basic('user:0'), 'Basic', 'Basic %%%']) {
      const response = await php('echo', { authorization: header });
      expect(response.status, header).toBe(200);
      const echo = (await response.json()) as Echo;
      expect(echo.headers.authorization).toBe(header);
      expect(appApiUser(echo.headers)).toBe('');
    }
    expect(attempts()).toBe(0);
  });

  it('never treats Bearer as a login', async () => {
    const echo = (await (await php('echo', { authorization: 'Bearer not-a-nextcloud-token' })).json()) as Echo;
    expect(echo.headers.authorization).toBe('Bearer not-a-nextcloud-token');
    expect(attempts()).toBe(0);
  });

  it('lets a session win: with a valid session cookie the Basic header is not looked at', async () => {
    const echo = (await (await php('echo', { authorization: basic('alice:wrong'), cookie: sim.sessionCookie('bob') })).json()) as Echo;
    expect(appApiUser(echo.headers)).toBe('bob');
    expect(attempts()).toBe(0);
  });

  it('answers a disabled account with its message but no throttling; a two-factor user is simply not logged in', async () => {
    sim.setUserEnabled('carol', false);
    const disabled = await php('echo', { authorization: basic('carol:carol') });
    expect(disabled.status).toBe(401);
    expect(await disabled.json()).toEqual({ message: 'Account disabled' });
    sim.setTwoFactor('bob', true);
    for (const password of ['bob', 'wrong']) {
      const echo = (await (await php('echo', { authorization: basic(`bob:${password}`) })).json()) as Echo;
      expect(appApiUser(echo.headers)).toBe('');
    }
    expect(attempts()).toBe(0);
  });

  it('logs in with the email address too', async () => {
    expect(appApiUser(((await (await php('echo', { authorization: basic('alice@example.com:alice') })).json()) as Echo).headers)).toBe(
      'alice',
    );
  });

  it('answers 429 {"message":"Reached maximum delay"} once the IP reached the maximum, even for right credentials', async () => {
    for (let i = 0; i < 10; i++) expect((await php('echo', { authorization: basic(`alice:wrong${i}`) })).status).toBe(401);
    const blocked = await php('echo', { authorization: basic('alice:alice') });
    expect(blocked.status).toBe(429);
    expect(await blocked.json()).toEqual({ message: 'Reached maximum delay' });
    // Without Basic credentials nothing is tried.
    expect((await php('echo', {})).status).toBe(200);
  });
});

describe('other entry points', () => {
  it("exempts core's OAuth token endpoint", async () => {
    const response = await fetch(`${sim.url}/index.php/apps/oauth2/api/v1/token`, {
      method: 'POST',
      headers: { authorization: basic('client:secret') },
    });
    expect(response.status).not.toBe(401);
    expect(attempts()).toBe(0);
  });

  it('answers OCS with an OCS 401 (XML, WWW-Authenticate)', async () => {
    const v2 = await fetch(`${sim.url}/ocs/v2.php/cloud/capabilities`, {
      headers: { authorization: basic('alice:wrong'), 'ocs-apirequest': 'true' },
    });
    expect(v2.status).toBe(401);
    expect(v2.headers.get('www-authenticate')).toBe('Basic realm="Authorisation Required"');
    expect(await v2.text()).toContain('<statuscode>401</statuscode><message>Unauthorised</message>');
    const v1 = await fetch(`${sim.url}/ocs/v1.php/cloud/capabilities`, {
      headers: { authorization: basic('alice:wrong'), 'x-requested-with': 'XMLHttpRequest' },
    });
    expect(v1.status).toBe(401);
    expect(v1.headers.get('www-authenticate')).toBe('DummyBasic realm="Authorisation Required"');
    expect(await v1.text()).toContain('<statuscode>997</statuscode>');
    expect(attempts()).toBe(2);
  });

  it('HaRP: the user lookup registers the failed login, the request goes on anonymously with its Authorization', async () => {
    const response = await fetch(`${sim.url}/exapps/basicapp/oauth/token`, {
      method: 'POST',
      headers: { authorization: basic('client-id:client-secret') },
      body: 'grant_type=x',
    });
    expect(response.status).toBe(200);
    const echo = (await response.json()) as Echo;
    expect(echo.headers.authorization).toBe(basic('client-id:client-secret'));
    expect(appApiUser(echo.headers)).toBe('');
    expect(attempts()).toBe(1);
    expect(sim.harpBlacklist.failuresFor(IP)).toBe(0);
    // Bearer: looked up, no failure.
    await fetch(`${sim.url}/exapps/basicapp/echo`, { headers: { authorization: 'Bearer x' } });
    expect(attempts()).toBe(1);
    const asAlice = (await (
      await fetch(`${sim.url}/exapps/basicapp/echo`, { headers: { authorization: basic('alice:alice') } })
    ).json()) as Echo;
    expect(appApiUser(asAlice.headers)).toBe('alice');
  });
});
