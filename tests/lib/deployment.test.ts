// Nextcloud installed under a path (NEXTCLOUD_URL = https://host/nextcloud), and what the host around it sees.
// A front server plays the web server of that host: /nc/... is the simulated Nextcloud (prefix stripped on the
// way in, added to DAV hrefs on the way out, as Nextcloud itself writes them under a path); everything else is
// "the rest of the host", whose /.well-known/caldav redirects to yet another host.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createNextcloud } from '../../lib/index.js';
import type { Nextcloud } from '../../lib/index.js';
import type { LibFixture } from '../support/lib-fixture.js';
import { failure, startLibFixture } from '../support/lib-fixture.js';
import { close, listen } from '../support/http-server.js';

interface Seen {
  method: string;
  url: string;
  credentials: boolean;
}

let fixture: LibFixture;
let front: http.Server;
let elsewhere: http.Server;
let nextcloud: Nextcloud;
let baseUrl: string;
const hostRoot: Seen[] = [];
const otherHost: Seen[] = [];
const toNextcloud: Seen[] = [];
/** Users whose calendar home the front server answers 404 for, as if it lived elsewhere. */
const missingHomes = new Set<string>();
const seen = (request: http.IncomingMessage): Seen => ({
  method: request.method ?? '',
  url: request.url ?? '',
  credentials: request.headers['authorization-app-api'] !== undefined,
});

beforeAll(async () => {
  fixture = await startLibFixture();
  const target = new URL(fixture.sim.url);
  elsewhere = http.createServer((request, response) => {
    otherHost.push(seen(request));
    response.writeHead(404).end();
  });
  const elsewhereUrl = await listen(elsewhere);
  front = http.createServer((request, response) => {
    const url = request.url ?? '/';
    if (!url.startsWith('/nc/')) {
      hostRoot.push(seen(request));
      response.writeHead(301, { location: `${elsewhereUrl}/remote.php/dav/` }).end();
      return;
    }
    toNextcloud.push(seen(request));
    const home = /^\/nc\/remote\.php\/dav\/calendars\/([^/]+)\/$/.exec(url);
    if (home && missingHomes.has(decodeURIComponent(home[1]!))) {
      response
        .writeHead(404, { 'content-type': 'application/xml; charset=utf-8' })
        .end(
          '<?xml version="1.0"?><d:error xmlns:d="DAV:" xmlns:s="http://sabredav.org/ns"><s:message>Node not found</s:message></d:error>',
        );
      return;
    }
    const upstream = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: request.method,
        path: url.slice('/nc'.length),
        headers: { ...request.headers, host: target.host },
      },
      (answer) => {
        if (answer.statusCode !== 207) {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
          return;
        }
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          const body = Buffer.concat(chunks)
            .toString('utf8')
            .replace(/>\/remote\.php\//g, '>/nc/remote.php/');
          const headers = { ...answer.headers };
          delete headers['content-length'];
          response.writeHead(207, headers).end(body);
        });
      },
    );
    request.pipe(upstream);
  });
  baseUrl = `${await listen(front)}/nc`;
  nextcloud = createNextcloud({ baseUrl, appId: 'mcp_gateway', appVersion: '0.1.0', appSecret: fixture.secret, timeoutMs: 10_000 });
});

afterAll(async () => {
  if (front) await close(front);
  if (elsewhere) await close(elsewhere);
  await fixture?.sim.stop();
});

describe('Nextcloud under a path', () => {
  it('gives file paths in the user namespace, not DAV hrefs', async () => {
    const files = nextcloud.as('alice').files;
    const documents = await files.list('/Documents');
    expect(documents.map((entry) => entry.path).sort()).toEqual([
      '/Documents/Budget.csv',
      '/Documents/Notes.txt',
      '/Documents/Report 2026.pdf',
    ]);
    expect(await files.stat('/Notes/Meeting ümlaut.md')).toMatchObject({ path: '/Notes/Meeting ümlaut.md', name: 'Meeting ümlaut.md' });
    expect((await files.search({ nameContains: 'roadmap' })).map((entry) => entry.path)).toEqual(['/Plans/Roadmap.md']);
    expect((await nextcloud.as('bob').files.list('/Shared')).map((entry) => entry.path)).toContain('/Shared/Plans');
  });

  it('reads and writes through the path', async () => {
    const files = nextcloud.as('alice').files;
    const written = await files.write('/Documents/under-path.txt', 'hello', { ifNoneMatch: true });
    expect((await files.readText('/Documents/under-path.txt', { maxBytes: 100 })).text).toBe('hello');
    expect((await failure(files.write('/Documents/under-path.txt', 'stale', { ifMatch: '"not-the-etag"' }))).code).toBe(
      'precondition_failed',
    );
    await files.write('/Documents/under-path.txt', 'again', { ifMatch: written.etag! });
    await files.delete('/Documents/under-path.txt');
  });

  it('lists calendars and events', async () => {
    const calendar = nextcloud.as('bob').calendar;
    const calendars = await calendar.calendars();
    expect(calendars.map((entry) => entry.id).sort()).toEqual(['chores_shared_by_alice', 'personal', 'team_shared_by_alice']);
    expect(calendars.every((entry) => entry.url.includes('/nc/remote.php/dav/calendars/bob/'))).toBe(true);
    const events = await calendar.events('team_shared_by_alice', {
      start: new Date(Date.now() - 86_400_000),
      end: new Date(Date.now() + 30 * 86_400_000),
    });
    expect(events.length).toBeGreaterThan(0);
  });

  it('addresses the calendar home directly under the path: one request per call, no discovery', async () => {
    const before = toNextcloud.length;
    await nextcloud.as('carol').calendar.calendars();
    await nextcloud.as('carol').calendar.calendars();
    await nextcloud
      .as('carol')
      .calendar.events('personal', { start: new Date(Date.now() - 86_400_000), end: new Date(Date.now() + 86_400_000) });
    expect(toNextcloud.slice(before).map((request) => `${request.method} ${request.url}`)).toEqual([
      'PROPFIND /nc/remote.php/dav/calendars/carol/',
      'PROPFIND /nc/remote.php/dav/calendars/carol/',
      'REPORT /nc/remote.php/dav/calendars/carol/personal/',
    ]);
    expect(hostRoot.length + otherHost.length).toBe(0);
    expect(nextcloud.as('carol')).toBe(nextcloud.as('carol'));
  });

  it('discovers the home only when its address is missing, and even then sends the credentials only to Nextcloud', async () => {
    missingHomes.add('bob');
    try {
      const before = toNextcloud.length;
      const fresh = createNextcloud({ baseUrl, appId: 'mcp_gateway', appVersion: '0.1.0', appSecret: fixture.secret, timeoutMs: 10_000 });
      // Discovery names the same home, so the 404 it answered is the answer.
      const missing = await failure(fresh.as('bob').calendar.calendars());
      expect(missing).toMatchObject({ code: 'not_found', status: 404, method: 'PROPFIND' });
      const asked = toNextcloud.slice(before).map((request) => `${request.method} ${request.url}`);
      expect(asked[0]).toBe('PROPFIND /nc/remote.php/dav/calendars/bob/');
      expect(asked).toContain('PROPFIND /nc/remote.php/dav/');
      expect(asked.filter((request) => request === 'PROPFIND /nc/remote.php/dav/calendars/bob/')).toHaveLength(1);
      expect(hostRoot.filter((request) => request.credentials)).toEqual([]);
      expect(otherHost).toEqual([]);
    } finally {
      missingHomes.delete('bob');
    }
  });

  it('never sends the app credentials outside Nextcloud when the login is refused', async () => {
    // The calendar home is addressed directly; a refused login there is the answer (discovery, which would try more
    // roots, is for a missing home: see the test above).
    await nextcloud.as('alice').calendar.calendars();
    const wrongSecret = createNextcloud({
      baseUrl,
      appId: 'mcp_gateway',
      appVersion: '0.1.0',
      appSecret: 'not-the-secret',
      timeoutMs: 10_000,
    });
    const refused = await failure(wrongSecret.as('alice').calendar.calendars());
    expect(refused).toMatchObject({ code: 'unauthorized', status: 401 });
    expect(refused.message).toMatch(/did not accept the app's credentials/);
    // The same at the site root.
    expect(await failure(fixture.client({ appSecret: 'not-the-secret' }).as('alice').calendar.calendars())).toMatchObject({
      code: 'unauthorized',
      status: 401,
    });
    fixture.sim.throttler.reset('127.0.0.1', 'app_api');
    expect(hostRoot.filter((request) => request.credentials)).toEqual([]);
    expect(otherHost).toEqual([]);
  });
});

describe('refused moves and copies name the path at fault', () => {
  it('blames the target when bob copies into the read-only share, and both paths when he moves out of it', async () => {
    const bob = fixture.nextcloud.as('bob').files;
    const into = await failure(bob.copy('/Readme.md', '/Shared/Plans/Readme.md'));
    expect(into).toMatchObject({ code: 'forbidden', status: 403, method: 'COPY' });
    expect(into.message).toContain('bob may not copy /Readme.md to /Shared/Plans/Readme.md');
    expect(into.message).toContain('the target folder is shared read-only with bob');
    const out = await failure(bob.move('/Shared/Plans/Roadmap.md', '/Roadmap.md'));
    expect(out).toMatchObject({ code: 'forbidden', method: 'MOVE' });
    expect(out.message).toContain('bob may not move /Shared/Plans/Roadmap.md to /Roadmap.md');
    expect(out.message).not.toContain(fixture.secret);
    // Neither went through.
    expect((await failure(bob.stat('/Roadmap.md'))).code).toBe('not_found');
    expect((await failure(fixture.nextcloud.as('alice').files.stat('/Plans/Readme.md'))).code).toBe('not_found');
  });
});

describe('the calendar home of a Nextcloud that never answers', () => {
  it('gives up after one timeout', async () => {
    const received: string[] = [];
    const silent = http.createServer((request) => void received.push(`${request.method} ${request.url}`));
    const url = await listen(silent);
    // Counted as the client sends them: when the call has failed, everything it sent is here.
    const sent: string[] = [];
    try {
      const calendar = createNextcloud({
        baseUrl: url,
        appId: 'mcp_gateway',
        appVersion: '0.1.0',
        appSecret: 's'.repeat(64),
        timeoutMs: 400,
        fetch: (input, init) => {
          sent.push(`${init?.method ?? 'GET'} ${new URL(input instanceof Request ? input.url : String(input)).pathname}`);
          return fetch(input, init);
        },
      }).as('alice').calendar;
      const error = await failure(calendar.calendars());
      expect(error.code).toBe('timeout');
      // The calendar home is asked once, with one timeout (discovery after a missing home: tests/lib/calendar-requests.test.ts):
      // one request, given up after the configured 400 ms, and no discovery or retry after it.
      expect(error).toMatchObject({
        method: 'PROPFIND',
        path: '/remote.php/dav/calendars/alice/',
        message: 'Nextcloud did not answer PROPFIND / within 400 ms.',
      });
      expect(sent).toEqual(['PROPFIND /remote.php/dav/calendars/alice/']);
      await vi.waitFor(() => expect(received).toEqual(['PROPFIND /remote.php/dav/calendars/alice/']), { timeout: 20_000 });
    } finally {
      await close(silent);
    }
  });
});

describe('a Nextcloud address that redirects to another host', () => {
  it('fails the call instead of following, so the app credentials never reach that host', async () => {
    const other: Seen[] = [];
    const otherServer = http.createServer((request, response) => {
      other.push(seen(request));
      response.writeHead(207, { 'content-type': 'application/xml' }).end('<?xml version="1.0"?><d:multistatus xmlns:d="DAV:"/>');
    });
    const otherUrl = await listen(otherServer);
    // 307 keeps method and body, so a follower would resend the PUT, content and credentials included.
    const redirecting = http.createServer((request, response) => {
      response.writeHead(307, { location: `${otherUrl}${request.url}` }).end();
    });
    const url = await listen(redirecting);
    try {
      const alice = createNextcloud({
        baseUrl: url,
        appId: 'mcp_gateway',
        appVersion: '0.1.0',
        appSecret: 's'.repeat(64),
        timeoutMs: 2000,
      }).as('alice');
      for (const call of [
        () => alice.files.list('/'),
        () => alice.files.write('/a.txt', 'content'),
        () => alice.files.mkdir('/d'),
        () => alice.files.delete('/a.txt'),
        () => alice.files.search({}),
        () => alice.currentUser(),
        () => alice.calendar.calendars(),
      ]) {
        const error = await failure(call());
        expect(error.code).toBe('protocol');
      }
      const error = await failure(alice.files.stat('/Readme.md'));
      expect(error.message).toMatch(/redirect/i);
      expect(other).toEqual([]);
    } finally {
      await close(redirecting);
      await close(otherServer);
    }
  });
});
