// HaRP's user lookup as a real request to Nextcloud's harp/user-info: held, failing or in maintenance, it makes
// HaRP refuse the request with a bare 401 before the app sees it; without Authorization or a session cookie
// nothing is looked up. Also Nextcloud's own answers in maintenance mode.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RequestHold, Simulator } from './index.js';
import { startSimulator } from './index.js';

const LOOKUP_TIMEOUT_MS = 300;
const USER_INFO = '/index.php/apps/app_api/harp/user-info';

let sim: Simulator;
let upstream: http.Server;
/** Every request the app received (path and Authorization-App-API). */
const reached: Array<{ url: string; appApi: string }> = [];
const holds: RequestHold[] = [];

beforeAll(async () => {
  sim = await startSimulator({ dav: false, harpUserLookupTimeoutMs: LOOKUP_TIMEOUT_MS });
  upstream = http.createServer((request, response) => {
    reached.push({ url: request.url ?? '', appApi: String(request.headers['authorization-app-api'] ?? '') });
    request.resume();
    response.writeHead(200, { 'content-type': 'text/plain' }).end('app');
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  sim.addExApp({
    id: 'fixture',
    version: '1.0.0',
    secret: 'fixture-secret',
    target: { protocol: 'http', host: '127.0.0.1', port: (upstream.address() as AddressInfo).port },
    routes: [
      { url: '^/user/.*$', access_level: 1 },
      { url: '^/.*$', access_level: 0 },
    ],
  });
});

afterEach(() => {
  for (const hold of holds.splice(0)) hold.release();
  sim.setMaintenance(false);
  sim.harpBlacklist.reset('127.0.0.1');
  reached.length = 0;
});

afterAll(async () => {
  await sim?.stop();
  upstream?.close();
});

const harp = (path: string) => `${sim.url}/exapps/fixture/${path}`;
const basic = (user: string) => `Basic ${Buffer.from(`${user}:${user}`).toString('base64')}`;
const userOfAppApi = (value: string) => Buffer.from(value, 'base64').toString('utf8').split(':')[0];

/** Holds user-info requests as Nextcloud receives them (released after each test). */
function holdLookups(): RequestHold {
  const held = sim.holdRequests((method, path) => method === 'GET' && path === USER_INFO);
  holds.push(held);
  return held;
}

async function expectBare401(response: Response): Promise<void> {
  expect(response.status).toBe(401);
  expect(response.headers.get('content-type')).toBe('text/plain');
  expect(response.headers.get('www-authenticate')).toBeNull();
  expect(await response.text()).toBe('401 Unauthorized');
}

describe("HaRP's user lookup", () => {
  it('is an HTTP request to user-info with the client headers and the shared key; its answer decides the user', async () => {
    const held = holdLookups();
    const pending = fetch(harp('user/x'), { headers: { authorization: basic('alice') } });
    await held.reached();
    expect(held.held).toBe(1);
    held.release();
    const response = await pending;
    expect(response.status).toBe(200);
    expect(reached).toHaveLength(1);
    expect(userOfAppApi(reached[0]!.appApi)).toBe('alice');
    // What AppAPI answers HaRP itself, with the key and without.
    const info = await fetch(`${sim.url}${USER_INFO}?appId=fixture`, {
      headers: { authorization: basic('admin'), 'harp-shared-key': 'simulated-harp-key' },
    });
    expect(await info.json()).toEqual({ user_id: 'admin', access_level: 2 });
    const wrongKey = await fetch(`${sim.url}${USER_INFO}?appId=fixture`, {
      headers: { authorization: basic('admin'), 'harp-shared-key': 'x' },
    });
    expect(wrongKey.status).toBe(401);
    const anonymous = await fetch(`${sim.url}${USER_INFO}?appId=fixture`, { headers: { 'harp-shared-key': 'simulated-harp-key' } });
    expect(await anonymous.json()).toEqual({ user_id: '', access_level: 0 });
  });

  it('held past its timeout: a bare 401, and the app never sees the request (PUBLIC routes too)', async () => {
    const held = holdLookups();
    const started = Date.now();
    const response = await fetch(harp('public'), { headers: { authorization: 'Bearer some-token' } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(LOOKUP_TIMEOUT_MS - 20);
    await expectBare401(response);
    expect(held.held).toBe(1);
    expect(reached).toEqual([]);
    // No strike on HaRP's blacklist: it is Nextcloud that failed, not the client.
    expect(sim.harpBlacklist.failuresFor('127.0.0.1')).toBe(0);
  });

  it('answered within the timeout, however slowly: the request goes on', async () => {
    const held = holdLookups();
    const pending = fetch(harp('public'), { headers: { authorization: 'Bearer some-token' } });
    await held.reached();
    await new Promise((resolve) => setTimeout(resolve, LOOKUP_TIMEOUT_MS / 3));
    held.release();
    const response = await pending;
    expect(response.status).toBe(200);
    expect(reached).toHaveLength(1);
    // A Bearer token is no Nextcloud login: the request goes on without a user.
    expect(userOfAppApi(reached[0]!.appApi)).toBe('');
  });

  it('during maintenance: a bare 401 for Authorization and for a session cookie, while user-info answers 503', async () => {
    const cookie = sim.sessionCookie('alice');
    sim.setMaintenance(true);
    await expectBare401(await fetch(harp('public'), { headers: { authorization: 'Bearer some-token' } }));
    await expectBare401(await fetch(harp('user/x'), { headers: { authorization: basic('alice') } }));
    await expectBare401(await fetch(harp('public'), { headers: { cookie } }));
    expect(reached).toEqual([]);
    const info = await fetch(`${sim.url}${USER_INFO}?appId=fixture`, { headers: { 'harp-shared-key': 'simulated-harp-key' } });
    expect(info.status).toBe(503);
    expect(info.headers.get('x-nextcloud-maintenance-mode')).toBe('1');
    sim.setMaintenance(false);
    expect((await fetch(harp('user/x'), { headers: { cookie } })).status).toBe(200);
    expect(userOfAppApi(reached[0]!.appApi)).toBe('alice');
  });

  it('is not made without Authorization or a session cookie: a PUBLIC route is reached anonymously, even in maintenance', async () => {
    const watched = holdLookups();
    sim.setMaintenance(true);
    const response = await fetch(harp('public'), { headers: { cookie: 'other=1' } });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('app');
    expect(watched.held).toBe(0);
    expect(reached).toHaveLength(1);
    expect(userOfAppApi(reached[0]!.appApi)).toBe('');
    // A USER route stays what it was for an anonymous caller: 403.
    expect((await fetch(harp('user/x'))).status).toBe(403);
    expect(watched.held).toBe(0);
  });

  it('a failed Basic login at user-info (a 4xx) means no user, not a failure: the request goes on anonymously', async () => {
    const failedLogin = await fetch(harp('public'), { headers: { authorization: 'Basic bm9ib2R5Ondyb25n' } });
    expect(failedLogin.status).toBe(200);
    expect(userOfAppApi(reached[0]!.appApi)).toBe('');
  });
});

describe('Nextcloud in maintenance mode', () => {
  it('says so in status.php and answers 503 everywhere else, in the shape of each entry point', async () => {
    sim.setMaintenance(true);
    const status = (await (await fetch(`${sim.url}/status.php`)).json()) as { maintenance: boolean };
    expect(status.maintenance).toBe(true);
    const ocs = await fetch(`${sim.url}/ocs/v2.php/cloud/user?format=json`, { headers: { authorization: basic('alice') } });
    expect(ocs.status).toBe(503);
    expect(ocs.headers.get('x-nextcloud-maintenance-mode')).toBe('1');
    expect(await ocs.json()).toMatchObject({ ocs: { meta: { status: 'failure', statuscode: 503, message: 'Service unavailable' } } });
    const page = await fetch(`${sim.url}/index.php/login`);
    expect(page.status).toBe(503);
    expect(page.headers.get('retry-after')).toBe('120');
    const proxied = await fetch(`${sim.url}/index.php/apps/app_api/proxy/fixture/public`);
    expect(proxied.status).toBe(503);
    expect(reached).toEqual([]);
    sim.setMaintenance(false);
    expect(((await (await fetch(`${sim.url}/status.php`)).json()) as { maintenance: boolean }).maintenance).toBe(false);
    expect((await fetch(`${sim.url}/index.php/login`)).status).toBe(200);
  });
});
