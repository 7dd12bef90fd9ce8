// What goes over the wire: AppAPI headers on every transport (OCS, WebDAV, CalDAV), no Authorization or
// cookies, the secret only inside AUTHORIZATION-APP-API; OCS envelope mapping; streamed downloads.
import http from 'node:http';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNextcloud } from '../../lib/index.js';
import type { LibFixture } from '../support/lib-fixture.js';
import { failure, startLibFixture } from '../support/lib-fixture.js';
import { close, listen } from '../support/http-server.js';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

describe('headers on every transport', () => {
  let fixture: LibFixture;
  let proxy: http.Server;
  let proxyUrl: string;
  const seen: Seen[] = [];

  beforeAll(async () => {
    fixture = await startLibFixture();
    const target = new URL(fixture.sim.url);
    // A recording reverse proxy in front of the simulator: sees exactly what lib/ sends, whichever code path
    // (OCS, WebDAV, tsdav's CalDAV writes) sent it.
    proxy = http.createServer((request, response) => {
      seen.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers });
      const upstream = http.request(
        {
          host: target.hostname,
          port: target.port,
          method: request.method,
          path: request.url,
          headers: { ...request.headers, host: target.host },
        },
        (answer) => {
          // Absolute hrefs/URLs in answers point at the simulator; the client must still talk to the proxy.
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
        },
      );
      request.pipe(upstream);
    });
    proxyUrl = await listen(proxy);
  });
  afterAll(async () => {
    await close(proxy);
    await fixture?.sim.stop();
  });

  it('sends the AppAPI headers and nothing else that authenticates, as a user and as the app', async () => {
    const nextcloud = createNextcloud({
      baseUrl: proxyUrl,
      appId: 'mcp_gateway',
      appVersion: '0.1.0',
      appSecret: fixture.secret,
      aaVersion: '32.0.0',
      timeoutMs: 10_000,
    });
    const alice = nextcloud.as('alice');
    await alice.currentUser();
    await alice.files.list('/Documents');
    await alice.files.search({ nameContains: 'notes' });
    await alice.files.write('/Documents/headers.txt', 'x');
    await alice.files.move('/Documents/headers.txt', '/Documents/headers2.txt');
    await alice.files.delete('/Documents/headers2.txt');
    await (await alice.files.read('/Readme.md')).stream.toArray();
    await alice.calendar.events('personal', { start: new Date(Date.now() - 86_400_000), end: new Date(Date.now() + 86_400_000) });
    await alice.talk.conversations();
    await nextcloud.system().config.get(['x']);

    const methods = new Set(seen.map((request) => request.method));
    expect([...methods]).toEqual(expect.arrayContaining(['GET', 'PROPFIND', 'SEARCH', 'PUT', 'MOVE', 'DELETE', 'REPORT', 'POST']));
    for (const request of seen) {
      const where = `${request.method} ${request.url}`;
      expect(request.headers['ex-app-id'], where).toBe('mcp_gateway');
      expect(request.headers['ex-app-version'], where).toBe('0.1.0');
      expect(request.headers['aa-version'], where).toBe('32.0.0');
      expect(request.headers['ocs-apirequest'], where).toBe('true');
      expect(request.headers.authorization, where).toBeUndefined();
      expect(request.headers.cookie, where).toBeUndefined();
      const credentials = Buffer.from(String(request.headers['authorization-app-api']), 'base64').toString();
      const user = request.url.includes('/app_api/') && !request.url.includes('/preference') ? '' : 'alice';
      expect(credentials, where).toBe(`${user}:${fixture.secret}`);
      // The secret travels only inside that one header.
      const others = Object.entries(request.headers).filter(([name]) => name !== 'authorization-app-api');
      expect(JSON.stringify(others), where).not.toContain(fixture.secret);
      if (request.url.startsWith('/ocs/')) expect(request.headers.accept, where).toContain('application/json');
    }
  });

  it('sends OCS, WebDAV and CalDAV requests through the one fetch it is given', async () => {
    const sent: string[] = [];
    const counted = ((input: string | URL | Request, init?: RequestInit) => {
      sent.push(`${(init?.method ?? 'GET').toUpperCase()} ${new URL(input instanceof Request ? input.url : String(input)).pathname}`);
      return fetch(input, init);
    }) as typeof fetch;
    const alice = createNextcloud({
      baseUrl: fixture.sim.url,
      appId: 'mcp_gateway',
      appVersion: '0.1.0',
      appSecret: fixture.secret,
      fetch: counted,
    }).as('alice');
    const file = '/Documents/injected.txt';
    const calls = [
      () => alice.currentUser(),
      () => alice.files.list('/Documents'),
      () => alice.files.search({ nameContains: 'notes' }),
      () => alice.files.write(file, 'x'),
      () => alice.files.copy(file, `${file}.copy`),
      () => alice.files.mkdir('/Documents/injected-folder'),
      async () => (await alice.files.read(file, { range: { start: 0, end: 0 } })).stream.toArray(),
      ...[file, `${file}.copy`, '/Documents/injected-folder'].map((path) => () => alice.files.delete(path)),
      () => alice.calendar.events('personal', { start: new Date(Date.now() - 86_400_000), end: new Date(Date.now() + 86_400_000) }),
    ];
    for (const call of calls) await call();
    const methods = new Set(sent.map((request) => request.split(' ')[0]));
    expect([...methods].sort()).toEqual(['COPY', 'DELETE', 'GET', 'MKCOL', 'PROPFIND', 'PUT', 'REPORT', 'SEARCH']);
    expect(sent).toEqual(
      expect.arrayContaining([
        'PUT /remote.php/dav/files/alice/Documents/injected.txt',
        'GET /remote.php/dav/files/alice/Documents/injected.txt',
        'SEARCH /remote.php/dav/',
      ]),
    );
  });

  it('refuses to send a calendar request to a host other than Nextcloud', async () => {
    const before = seen.length;
    const calendar = createNextcloud({ baseUrl: proxyUrl, appId: 'mcp_gateway', appVersion: '0.1.0', appSecret: fixture.secret }).as(
      'alice',
    ).calendar;
    await expect(calendar.getEvent('http://attacker.example/remote.php/dav/calendars/alice/personal/x.ics')).rejects.toThrow(
      /not a calendar URL of this Nextcloud/,
    );
    await expect(calendar.deleteEvent(`${proxyUrl}/ocs/v2.php/cloud/user`)).rejects.toThrow(/not a calendar URL/);
    await expect(calendar.events('http://attacker.example/cal/', { start: new Date(), end: new Date() })).rejects.toThrow(
      /not a calendar URL/,
    );
    expect(seen.length).toBe(before);
  });
});

describe('OCS envelopes as Nextcloud writes them', () => {
  let server: http.Server;
  let url: string;
  // Canned answers of a real Nextcloud for the cases the simulator has no endpoint to provoke.
  const answers: Record<string, { status: number; body: string }> = {
    '/ocs/v1.php/apps/app_api/ex-app/status': {
      status: 200,
      body: JSON.stringify({
        ocs: { meta: { status: 'failure', statuscode: 404, message: 'ExApp not found', totalitems: '', itemsperpage: '' }, data: [] },
      }),
    },
    '/ocs/v1.php/apps/app_api/api/v1/log': {
      status: 200,
      body: JSON.stringify({ ocs: { meta: { status: 'failure', statuscode: 102, message: 'Invalid level' }, data: [] } }),
    },
    '/ocs/v2.php/cloud/user': {
      status: 401,
      body: JSON.stringify({ ocs: { meta: { status: 'failure', statuscode: 997, message: 'Current user is not logged in' }, data: [] } }),
    },
    '/ocs/v2.php/cloud/capabilities': { status: 200, body: '<html>maintenance</html>' },
    '/ocs/v2.php/search/providers': {
      status: 200,
      body: JSON.stringify({ ocs: { meta: { status: 'ok', statuscode: 200, message: 'OK' }, data: [{ id: 'files' }] } }),
    },
    '/ocs/v2.php/apps/spreed/api/v1/chat/abcd1234': {
      status: 503,
      body: JSON.stringify({ ocs: { meta: { status: 'failure', statuscode: 503, message: 'Service unavailable' }, data: [] } }),
    },
  };
  beforeAll(async () => {
    server = http.createServer((request, response) => {
      const answer = answers[(request.url ?? '').split('?')[0]!] ?? { status: 404, body: '' };
      response.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
    });
    url = await listen(server);
  });
  afterAll(() => close(server));
  const nextcloud = () =>
    createNextcloud({ baseUrl: url, appId: 'mcp_gateway', appVersion: '0.1.0', appSecret: 's'.repeat(64), timeoutMs: 2000 });

  it('treats a v1 answer with HTTP 200 but statuscode other than 100 as the error it is', async () => {
    const error = await failure(nextcloud().system().setInitProgress(50));
    expect(error).toMatchObject({ code: 'not_found', status: 200, remoteMessage: 'ExApp not found', method: 'PUT' });
    expect(error.message).toContain('ExApp not found');
    expect(
      (
        await failure(
          nextcloud()
            .system()
            .log(9 as 0, 'x'),
        )
      ).code,
    ).toBe('bad_request');
  });

  it('maps 997, foreign bodies and unexpected shapes', async () => {
    expect(await failure(nextcloud().as('alice').currentUser())).toMatchObject({
      code: 'unauthorized',
      status: 401,
      remoteMessage: 'Current user is not logged in',
    });
    expect((await failure(nextcloud().system().capabilities())).code).toBe('protocol');
    const shape = await failure(nextcloud().as('alice').searchProviders());
    expect(shape.code).toBe('protocol');
    expect(shape.message).toMatch(/name/);
    expect((await failure(nextcloud().as('alice').talk.messages('abcd1234'))).code).toBe('unavailable');
  });
});

describe('streamed downloads', () => {
  let server: http.Server;
  let url: string;
  const body = Buffer.from(Array.from({ length: 1000 }, (_, index) => index % 251));
  /** Requests for the stalled download, and the moment the client hangs up on it. */
  const stalls: string[] = [];
  let stallClosed = () => {};
  beforeAll(async () => {
    server = http.createServer((request, response) => {
      const path = request.url ?? '';
      if (path.endsWith('/slow.bin')) {
        // Ten chunks 60 ms apart: 600 ms in total, each gap well inside a 250 ms timeout.
        response.writeHead(200, { 'content-length': String(body.length), etag: '"slow"' });
        let index = 0;
        const timer = setInterval(() => {
          response.write(body.subarray(index * 100, index * 100 + 100));
          if (++index === 10) {
            clearInterval(timer);
            response.end();
          }
        }, 60);
        return;
      }
      if (path.endsWith('/stall.bin')) {
        stalls.push(`${request.method} ${path}`);
        // Like every download from Nextcloud, with an ETag (an answer without one makes the client ask what the path is).
        response.writeHead(200, { 'content-length': String(body.length), etag: '"stall"' });
        response.write(body.subarray(0, 100)); // and then nothing
        response.on('close', () => stallClosed());
        return;
      }
      if (path.endsWith('/norange.bin')) {
        // A server that ignores Range and sends everything with 200.
        response.writeHead(200, { 'content-length': String(body.length), etag: '"n"' }).end(body);
        return;
      }
      response.writeHead(404).end();
    });
    url = await listen(server);
  });
  afterAll(() => close(server));
  const files = () =>
    createNextcloud({ baseUrl: url, appId: 'mcp_gateway', appVersion: '0.1.0', appSecret: 's'.repeat(64), timeoutMs: 250 }).as('alice')
      .files;

  it('keeps reading a file that takes longer than the timeout while bytes keep coming', async () => {
    const result = await files().read('/slow.bin');
    const bytes = Buffer.concat(await result.stream.toArray());
    expect(bytes.equals(body)).toBe(true);
    expect(result).toMatchObject({ size: 1000, etag: '"slow"', partial: false });
  });

  it('ends a stalled download with a timeout error', async () => {
    const hungUp = new Promise<void>((resolve) => (stallClosed = resolve));
    const result = await files().read('/stall.bin');
    const chunks: Buffer[] = [];
    result.stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    const error = await failure(new Promise((resolve, reject) => result.stream.on('end', resolve).on('error', reject)));
    // The idle timer of the configured 250 ms struck, after the bytes that did come were handed on ...
    expect(error).toMatchObject({ code: 'timeout', method: 'GET', message: 'Nextcloud stopped sending /stall.bin for 250 ms.' });
    expect(Buffer.concat(chunks).equals(body.subarray(0, 100))).toBe(true);
    // ... the stalled connection is let go rather than left open, and the download was asked once, not retried.
    await hungUp;
    expect(stalls).toEqual(['GET /remote.php/dav/files/alice/stall.bin']);
  });

  it('cuts the asked range out itself when the server ignores Range', async () => {
    const result = await files().read('/norange.bin', { range: { start: 10, end: 19 } });
    expect(Buffer.concat(await result.stream.toArray()).equals(body.subarray(10, 20))).toBe(true);
    expect(result).toMatchObject({ length: 10, size: 1000, partial: true });
  });

  it('rejects a backwards range before sending anything', async () => {
    await expect(files().read('/slow.bin', { range: { start: 5, end: 1 } })).rejects.toThrow(/not a valid range/);
  });
});

describe('sabre error bodies', () => {
  let server: http.Server;
  let url: string;
  // What Nextcloud answers in situations the simulator cannot produce (locks, quota, throttling), with the
  // prefixes a server is free to choose.
  const sabre = (exception: string, message: string) =>
    `<?xml version="1.0" encoding="utf-8"?>\n<x0:error xmlns:x0="DAV:" xmlns:x1="http://sabredav.org/ns" xmlns:o="http://owncloud.org/ns"><x1:exception>${exception}</x1:exception><x1:message>${message}</x1:message><o:retry>false</o:retry><o:reason>${message}</o:reason></x0:error>`;
  const answers: Record<string, [number, string]> = {
    'locked.txt': [423, sabre('OCA\\DAV\\Connector\\Sabre\\Exception\\FileLocked', '"locked.txt" is locked')],
    'full.txt': [507, sabre('Sabre\\DAV\\Exception\\InsufficientStorage', 'Insufficient space in /alice/files, 10 required, 5 available')],
    'huge.txt': [413, sabre('Sabre\\DAV\\Exception\\EntityTooLarge', 'too big')],
    'busy.txt': [429, sabre('OCA\\DAV\\Connector\\Sabre\\Exception\\TooManyRequests', 'Slow down')],
    'bad &amp; name.txt': [
      400,
      sabre('OCA\\DAV\\Connector\\Sabre\\Exception\\InvalidPath', 'Filename contains at least one invalid character &amp; more'),
    ],
    'down.txt': [503, sabre('Sabre\\DAV\\Exception\\ServiceUnavailable', 'System in maintenance mode.')],
  };
  beforeAll(async () => {
    server = http.createServer((request, response) => {
      request.resume();
      const name = decodeURIComponent((request.url ?? '').split('/').at(-1) ?? '');
      const answer = answers[name.replaceAll('&', '&amp;')] ?? [404, sabre('Sabre\\DAV\\Exception\\NotFound', 'not here')];
      response.writeHead(answer[0], { 'content-type': 'application/xml; charset=utf-8' }).end(answer[1]);
    });
    url = await listen(server);
  });
  afterAll(() => close(server));

  it('maps status and reads s:message by namespace, whatever the prefix', async () => {
    const files = createNextcloud({
      baseUrl: url,
      appId: 'mcp_gateway',
      appVersion: '0.1.0',
      appSecret: 's'.repeat(64),
      timeoutMs: 2000,
    }).as('alice').files;
    const cases: [string, string, string][] = [
      ['locked.txt', 'locked', '"locked.txt" is locked'],
      ['full.txt', 'quota_exceeded', 'Insufficient space in /alice/files, 10 required, 5 available'],
      ['huge.txt', 'too_large', 'too big'],
      ['busy.txt', 'rate_limited', 'Slow down'],
      ['bad & name.txt', 'bad_request', 'Filename contains at least one invalid character & more'],
      ['down.txt', 'unavailable', 'System in maintenance mode.'],
    ];
    for (const [name, code, remote] of cases) {
      const error = await failure(files.write(`/Documents/${name}`, 'x'));
      expectNoSecret(error, 's'.repeat(64), 'alice');
      expect(error.code, name).toBe(code);
      expect(error.remoteMessage, name).toBe(remote);
      expect(error.message, name).toContain(remote);
      expect(error.path, name).toBe(`/remote.php/dav/files/alice/Documents/${encodeURIComponent(name)}`);
    }
  });
});

/** Not in the message, and nowhere a logger could reach either (cause chains, attached responses). */
function expectNoSecret(error: unknown, secret: string, userId: string): void {
  const dump = inspect(error, { depth: 20, showHidden: true }) + JSON.stringify(error);
  expect(dump).not.toContain(secret);
  expect(dump).not.toContain(Buffer.from(`${userId}:${secret}`).toString('base64'));
}

describe('secrets in errors', () => {
  it('keeps the secret out of network failures on every transport', async () => {
    const secret = 'z'.repeat(64);
    const nextcloud = createNextcloud({
      baseUrl: 'http://127.0.0.1:9',
      appId: 'mcp_gateway',
      appVersion: '0.1.0',
      appSecret: secret,
      timeoutMs: 2000,
    });
    const alice = nextcloud.as('alice');
    for (const call of [
      () => alice.currentUser(),
      () => alice.files.list('/'),
      () => alice.files.read('/a'),
      () => alice.files.mkdir('/a'),
      () => alice.calendar.calendars(),
      () => nextcloud.system().config.get(['a']),
    ]) {
      const error = await failure(call());
      expect(error.code).toBe('unavailable');
      expectNoSecret(error, secret, 'alice');
    }
  });
});
