// The simulator's two proxies against a purpose-built upstream ExApp that reports what it received.
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Simulator } from './index.js';
import { startSimulator } from './index.js';

let sim: Simulator;
let fixture: http.Server;
/** Responses of /stream the fixture keeps open until a test ends them. */
const heldStreams = new Set<http.ServerResponse>();
/** When the fixture ended its last /chunks response. */
let chunksEndedAt = 0;
const secret = 'fixture-secret-0123456789abcdef';

function startFixture(): Promise<number> {
  fixture = http.createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const url = request.url ?? '/';
    const path = url.split('?')[0];
    if (path === '/redirect') return response.writeHead(302, { location: '/echo?from=redirect' }).end();
    if (path === '/redirect-loop') return response.writeHead(302, { location: '/redirect-loop' }).end();
    if (path === '/cookies') {
      response.setHeader('set-cookie', ['first=1; Path=/', 'second=2; Path=/']);
      response.setHeader('x-multi', ['one', 'two']);
      response.setHeader('cache-control', 'no-store');
      return response.end('ok');
    }
    if (path === '/json-exact') return response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    if (path === '/no-store')
      return response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end('{}');
    if (path === '/page.html') return response.writeHead(200, { 'content-type': 'text/html' }).end('<html><script>1</script></html>');
    if (path === '/stream') {
      response.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-store' });
      response.write('first;');
      heldStreams.add(response);
      response.on('close', () => heldStreams.delete(response));
      return;
    }
    if (path === '/chunks') {
      response.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-store' });
      for (const chunk of ['a;', 'b;']) {
        response.write(chunk);
        await sleep(150);
      }
      chunksEndedAt = Date.now();
      return response.end('c');
    }
    response.writeHead(path === '/guarded' ? 401 : 200, { 'content-type': 'application/json; charset=utf-8' });
    response.end(JSON.stringify({ method: request.method, url, headers: request.headers, body: Buffer.concat(chunks).toString('utf8') }));
  });
  return new Promise((resolve) => fixture.listen(0, '127.0.0.1', () => resolve((fixture.address() as AddressInfo).port)));
}

beforeAll(async () => {
  sim = await startSimulator({ dav: false });
  const port = await startFixture();
  sim.addExApp({
    id: 'fixture',
    version: '1.0.0',
    secret,
    target: { protocol: 'http', host: '127.0.0.1', port },
    routes: [
      { url: '^/admin/.*$', verb: 'GET', access_level: 2 },
      { url: '^/user/.*$', verb: 'GET,POST', access_level: 1 },
      { url: '^/guarded$', verb: 'GET', access_level: 0, bruteforce_protection: [401] },
      { url: '^/excluded$', verb: 'GET', access_level: 0, headers_to_exclude: ['x-private'] },
      { url: '^/chunks$', verb: 'GET,HEAD,POST,PUT,DELETE', access_level: 0 },
      { url: '^/.*$', verb: 'GET,POST,PUT,DELETE', access_level: 0 },
    ],
  });
});

/** Ends (or cuts off) every held /stream response, as an app ending or dropping its event streams. */
function endHeldStreams(how: 'end' | 'close' = 'end'): void {
  for (const response of heldStreams) {
    heldStreams.delete(response);
    if (how === 'end') response.end('second');
    else response.destroy();
  }
}

afterAll(async () => {
  endHeldStreams();
  await sim?.stop();
  fixture?.close();
});

const php = (path: string) => `${sim.url}/index.php/apps/app_api/proxy/fixture/${path}`;
const harp = (path: string) => `${sim.url}/exapps/fixture/${path}`;
type Echo = { method: string; url: string; headers: Record<string, string>; body: string };
/** fetch() normalises dot segments before sending; this sends the path exactly as written. */
function rawGet(path: string): Promise<{ status: number } | 'dropped'> {
  const { port } = new URL(sim.url);
  return new Promise((resolve) => {
    const request = http.get({ host: '127.0.0.1', port, path }, (response) => {
      response.resume();
      resolve({ status: response.statusCode ?? 0 });
    });
    request.on('error', () => resolve('dropped'));
  });
}
/** A request over a bare socket, noting when its first byte (status line included) arrives. */
function rawExchange(method: string, path: string): Promise<{ firstByteAt: number; text: string }> {
  const { port } = new URL(sim.url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => {
      socket.write(`${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    });
    let firstByteAt = 0;
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => {
      firstByteAt ||= Date.now();
      chunks.push(chunk);
    });
    socket.on('end', () => resolve({ firstByteAt, text: Buffer.concat(chunks).toString('utf8') }));
    socket.on('error', reject);
  });
}
const within = <T>(promise: Promise<T>, ms: number) => Promise.race([promise, sleep(ms, 'timeout' as const)]);
const userOf = (echo: Echo) =>
  Buffer.from(echo.headers['authorization-app-api'] ?? '', 'base64')
    .toString()
    .split(':')[0];

describe('PHP proxy', () => {
  it('hides USER and ADMIN routes from those without the right (404, no login redirect)', async () => {
    expect((await fetch(php('user/x'))).status).toBe(404);
    expect((await fetch(php('admin/x'), { headers: { cookie: sim.sessionCookie('alice') } })).status).toBe(404);
    const asAlice = await fetch(php('user/x'), { headers: { cookie: sim.sessionCookie('alice') } });
    expect(asAlice.status).toBe(200);
    expect(userOf((await asAlice.json()) as Echo)).toBe('alice');
    const asAdmin = await fetch(php('admin/x'), { headers: { cookie: sim.sessionCookie('admin') } });
    expect(userOf((await asAdmin.json()) as Echo)).toBe('admin');
  });

  it('matches routes case-insensitively, so /ADMIN/ is still an admin route', async () => {
    expect((await fetch(php('ADMIN/x'), { headers: { cookie: sim.sessionCookie('alice') } })).status).toBe(404);
  });

  it('forwards PUBLIC routes with the session user, or an empty user', async () => {
    const anonymous = (await (await fetch(php('echo'))).json()) as Echo;
    expect(userOf(anonymous)).toBe('');
    const bob = (await (await fetch(php('echo'), { headers: { cookie: sim.sessionCookie('bob') } })).json()) as Echo;
    expect(userOf(bob)).toBe('bob');
    expect(bob.headers['ex-app-id']).toBe('fixture');
    expect(Buffer.from(bob.headers['authorization-app-api']!, 'base64').toString()).toBe(`bob:${secret}`);
  });

  it('forwards client headers including Authorization, strips AppAPI credentials and sets X-Origin-IP', async () => {
    const echo = (await (
      await fetch(php('echo'), {
        headers: {
          authorization: 'Bearer abc.def',
          'authorization-app-api': 'c3Bvb2Y6c3Bvb2Y=',
          'x-origin-ip': '6.6.6.6',
          'x-custom': 'kept',
          'ex-app-id': 'spoofed',
        },
      })
    ).json()) as Echo;
    expect(echo.headers.authorization).toBe('Bearer abc.def');
    expect(echo.headers['x-custom']).toBe('kept');
    expect(userOf(echo)).toBe('');
    expect(echo.headers['x-origin-ip']).toBe('127.0.0.1');
    expect(echo.headers['ex-app-id']).toBe('spoofed, fixture');
  });

  it("applies the route's headers_to_exclude", async () => {
    const echo = (await (await fetch(php('excluded'), { headers: { 'x-private': 'secret', 'x-other': 'yes' } })).json()) as Echo;
    expect(echo.headers['x-private']).toBeUndefined();
    expect(echo.headers['x-other']).toBe('yes');
  });

  it('accepts only GET, POST, PUT and DELETE, and needs a path for the writing methods', async () => {
    expect((await fetch(php('echo'), { method: 'PATCH' })).status).toBe(405);
    expect((await fetch(`${sim.url}/index.php/apps/app_api/proxy/fixture`, { method: 'POST', body: 'x' })).status).toBe(404);
    const root = (await (await fetch(`${sim.url}/index.php/apps/app_api/proxy/fixture`)).json()) as Echo;
    expect(root.url).toBe('/');
    const posted = (await (
      await fetch(php('echo'), { method: 'POST', body: 'payload', headers: { 'content-type': 'text/plain' } })
    ).json()) as Echo;
    expect(posted).toMatchObject({ method: 'POST', body: 'payload' });
  });

  it('is reachable without index.php too', async () => {
    const response = await fetch(`${sim.url}/apps/app_api/proxy/fixture/echo`);
    expect(response.status).toBe(200);
  });

  it('rebuilds the query the way PHP parses it', async () => {
    const echo = (await (await fetch(php('echo?a=1&a=2&b[]=x&b[]=y&c.d=1&e%20f=2&plain=h%C3%A9'))).json()) as Echo;
    expect(echo.url).toBe('/echo?a=2&b%5B0%5D=x&b%5B1%5D=y&c_d=1&e_f=2&plain=h%C3%A9');
  });

  it('refuses .. segments, plain or encoded', async () => {
    expect(await rawGet('/index.php/apps/app_api/proxy/fixture/user/../echo')).toEqual({ status: 404 });
    expect(await rawGet('/index.php/apps/app_api/proxy/fixture/user/%2e%2e/echo')).toEqual({ status: 404 });
    expect(await rawGet('/index.php/apps/app_api/proxy/fixture/user/%2E%2E%2Fecho')).toEqual({ status: 404 });
  });

  it('follows redirects server-side, at most five', async () => {
    const response = await fetch(php('redirect'), { redirect: 'manual' });
    expect(response.status).toBe(200);
    expect(((await response.json()) as Echo).url).toBe('/echo?from=redirect');
    expect((await fetch(php('redirect-loop'), { redirect: 'manual' })).status).toBe(500);
  });

  it('keeps only the first value of each response header', async () => {
    const response = await fetch(php('cookies'));
    expect(response.headers.getSetCookie()).toEqual(['first=1; Path=/']);
    expect(response.headers.get('x-multi')).toBe('one');
  });

  it('adds an hour of caching unless the app sent Cache-Control or exactly application/json', async () => {
    expect((await fetch(php('echo'))).headers.get('cache-control')).toMatch(/^private, max-age=3600/);
    expect((await fetch(php('json-exact'))).headers.get('cache-control')).toBe('no-cache, no-store, must-revalidate');
    expect((await fetch(php('no-store'))).headers.get('cache-control')).toBe('no-store');
    expect((await fetch(php('echo'))).headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });

  it('buffers .html paths and adds a CSP nonce to scripts', async () => {
    expect(await (await fetch(php('page.html'))).text()).toMatch(/<script nonce="[^"]+">1<\/script>/);
  });

  it.each(['GET', 'POST', 'PUT', 'DELETE', 'HEAD'])(
    'sends nothing of a %s response, not even its status line, before the app ended it',
    async (method) => {
      const startedAt = Date.now();
      const { firstByteAt, text } = await rawExchange(method, '/index.php/apps/app_api/proxy/fixture/chunks');
      expect(chunksEndedAt).toBeGreaterThan(startedAt);
      expect(firstByteAt).toBeGreaterThanOrEqual(chunksEndedAt);
      expect(text).toMatch(/^HTTP\/1\.1 200 /);
      expect(text).toMatch(/\r\ncache-control: no-store\r\n/i);
      if (method === 'HEAD') expect(text).toMatch(/\r\n\r\n$/);
      else expect(text).toMatch(/\r\ncontent-length: 5\r\n[\s\S]*\r\n\r\na;b;c$/i);
    },
  );

  it('keeps the client without headers and a PHP worker busy while the app holds its response open', async () => {
    expect(sim.phpProxy.busyWorkers).toBe(0);
    const answer = fetch(php('stream'));
    await vi.waitFor(() => expect(sim.phpProxy.busyWorkers).toBe(1));
    expect(await within(answer, 700)).toBe('timeout');
    expect(sim.phpProxy.busyWorkers).toBe(1);
    endHeldStreams();
    const response = await answer;
    expect(await response.text()).toBe('first;second');
    expect(sim.phpProxy.busyWorkers).toBe(0);
  });

  it('keeps the worker busy after the client left, until the app ends its response', async () => {
    const client = new AbortController();
    const answer = fetch(php('stream'), { signal: client.signal }).catch(() => 'aborted');
    await vi.waitFor(() => expect(sim.phpProxy.busyWorkers).toBe(1));
    client.abort();
    expect(await answer).toBe('aborted');
    await sleep(300);
    // PHP, blocked in curl, neither notices the client leaving nor hangs up on the app.
    expect(sim.phpProxy.busyWorkers).toBe(1);
    expect(heldStreams.size).toBe(1);
    endHeldStreams();
    await vi.waitFor(() => expect(sim.phpProxy.busyWorkers).toBe(0));
  });

  it('frees the worker and answers 500 when the app drops the connection mid-response', async () => {
    const answer = fetch(php('stream'));
    await vi.waitFor(() => expect(sim.phpProxy.busyWorkers).toBe(1));
    endHeldStreams('close');
    expect((await answer).status).toBe(500);
    expect(sim.phpProxy.busyWorkers).toBe(0);
  });

  it('throttles an IP once a protected route answered its brute-force status ten times', async () => {
    // Failed AppAPI logins (a client-sent AUTHORIZATION-APP-API above) share the action: start clean.
    sim.throttler.reset('127.0.0.1', 'app_api');
    for (let i = 0; i < 10; i++) expect((await fetch(php('guarded'))).status).toBe(401);
    expect((await fetch(php('guarded'))).status).toBe(429);
    // Unprotected routes are not affected.
    expect((await fetch(php('echo'))).status).toBe(200);
    sim.throttler.reset('127.0.0.1', 'app_api');
  });

  it('answers 404 for a disabled app', async () => {
    sim.state.apps.get('fixture')!.enabled = false;
    try {
      expect((await fetch(php('echo'))).status).toBe(404);
    } finally {
      sim.state.apps.get('fixture')!.enabled = true;
    }
  });
});

describe('HaRP path', () => {
  it('answers 403 (not 404) for a USER route without a user, and 404 text for unknown apps', async () => {
    const forbidden = await fetch(harp('user/x'));
    expect(forbidden.status).toBe(403);
    expect(await forbidden.text()).toBe('403 Forbidden');
    const unknown = await fetch(`${sim.url}/exapps/nope/x`);
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toBe('404 Not Found');
    const asAlice = (await (await fetch(harp('user/x'), { headers: { cookie: sim.sessionCookie('alice') } })).json()) as Echo;
    expect(userOf(asAlice)).toBe('alice');
    expect(asAlice.headers['aa-version']).toBe('32');
  });

  it('matches case-sensitively and ignores verbs', async () => {
    // /ADMIN/ does not match ^/admin/ on HaRP and falls through to the PUBLIC catch-all.
    expect((await fetch(harp('ADMIN/x'))).status).toBe(200);
    expect((await fetch(harp('admin/x'), { method: 'POST', body: '', headers: { cookie: sim.sessionCookie('admin') } })).status).toBe(200);
  });

  it('passes Location and every header value through unchanged', async () => {
    const redirect = await fetch(harp('redirect'), { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toBe('/echo?from=redirect');
    const cookies = await fetch(harp('cookies'));
    expect(cookies.headers.getSetCookie()).toEqual(['first=1; Path=/', 'second=2; Path=/']);
    const echo = (await (await fetch(harp('echo?a=1&a=2'), { headers: { 'authorization-app-api': 'x' } })).json()) as Echo;
    expect(echo.url).toBe('/echo?a=1&a=2');
    expect(echo.headers['cache-control']).toBeUndefined();
  });

  it('drops the connection for lifecycle paths and .. segments', async () => {
    await expect(fetch(harp('heartbeat'))).rejects.toThrow();
    expect(await rawGet('/exapps/fixture/x/%2e%2e/y')).toBe('dropped');
    expect(await rawGet('/exapps/fixture/x/../y')).toBe('dropped');
  });

  it("forwards a client's own X-Origin-IP and harp-shared-key untouched, overriding only its four headers", async () => {
    const echo = (await (
      await fetch(harp('echo'), {
        headers: { 'x-origin-ip': '198.51.100.1', 'harp-shared-key': 'made-up', 'ex-app-id': 'other', 'aa-version': '99' },
      })
    ).json()) as Echo;
    expect(echo.headers).toMatchObject({
      'x-origin-ip': '198.51.100.1',
      'harp-shared-key': 'made-up',
      'ex-app-id': 'fixture',
      'aa-version': '32',
    });
    expect(userOf(echo)).toBe('');
  });

  it("takes a request with all six AppAPI headers for AppAPI's own: dropped with a wrong key, else past the routes", async () => {
    const app = sim.state.apps.get('fixture')!;
    app.harpSigning = { sharedKey: 'the-daemons-key', host: '127.0.0.1', port: 23000 };
    const signed = (key: string) => ({
      'ex-app-version': '1.0.0',
      'ex-app-id': 'fixture',
      'ex-app-host': '127.0.0.1',
      'ex-app-port': '23000',
      'authorization-app-api': Buffer.from(`:${secret}`).toString('base64'),
      'harp-shared-key': key,
    });
    try {
      const before = sim.harpBlacklist.failuresFor('127.0.0.1');
      await expect(fetch(harp('echo'), { headers: signed('not-the-key') })).rejects.toThrow();
      expect(sim.harpBlacklist.failuresFor('127.0.0.1')).toBe(before + 1);
      // Without one of the six it is a browser request like any other: forwarded, key and all.
      const { 'ex-app-port': _port, ...fiveOfSix } = signed('not-the-key');
      expect((await fetch(harp('echo'), { headers: fiveOfSix })).status).toBe(200);
      // With the right key even a lifecycle path is reached, as AppAPI's heartbeat is.
      const heartbeat = (await (await fetch(harp('heartbeat'), { headers: signed('the-daemons-key') })).json()) as Echo;
      expect(heartbeat.headers['harp-shared-key']).toBe('the-daemons-key');
      // AppAPI's own requests to a HaRP app carry the key and where HaRP finds the app.
      const viaPhp = (await (await fetch(php('echo'))).json()) as Echo;
      expect(viaPhp.headers).toMatchObject({ 'harp-shared-key': 'the-daemons-key', 'ex-app-host': '127.0.0.1', 'ex-app-port': '23000' });
      // A client's own key, joined to AppAPI's by the PHP proxy, is a wrong key to HaRP: the request never arrives.
      expect((await fetch(php('echo'), { headers: { 'harp-shared-key': 'made-up' } })).status).toBe(500);
    } finally {
      delete app.harpSigning;
      sim.harpBlacklist.reset('127.0.0.1');
    }
  });

  it('streams: the first chunk arrives while the app still holds the response open', async () => {
    const response = await within(fetch(harp('stream')), 3000);
    if (response === 'timeout') throw new Error('no headers from HaRP within 3 s');
    const first = await within(response.body!.getReader().read(), 3000);
    if (first === 'timeout') throw new Error('no first chunk from HaRP within 3 s');
    expect(new TextDecoder().decode(first.value)).toBe('first;');
    expect(heldStreams.size).toBe(1);
    expect(sim.phpProxy.busyWorkers).toBe(0);
    endHeldStreams();
  });
});
