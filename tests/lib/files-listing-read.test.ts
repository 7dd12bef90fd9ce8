// lib/ files: a folder's listing with its own entry and etag, the cheap version check paging relies on, and a
// download that describes the file in its headers. Against the simulator, and against a stand-in that answers a
// GET on a folder the way Nextcloud does (200 and a line of text, no ETag), which must never be read as content.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileEntryReader } from '../../lib/file-entries.js';
import { isFolderRead } from '../../lib/files.js';
import { NS, clark } from '../../lib/dav-xml.js';
import type { XmlNode } from '../../lib/dav-xml.js';
import type { Nextcloud } from '../../lib/index.js';
import { createNextcloud } from '../../lib/index.js';
import type { Simulator } from '../nextcloud-sim/index.js';
import { close, listen } from '../support/http-server.js';
import { failure, startLibFixture } from '../support/lib-fixture.js';

let sim: Simulator;
let nextcloud: Nextcloud;

beforeAll(async () => {
  ({ sim, nextcloud } = await startLibFixture());
});
afterAll(() => sim?.stop());

describe('listing and version', () => {
  it('lists a folder with its own entry, whose etag the version check repeats and any change inside renews', async () => {
    const files = nextcloud.as('alice').files;
    const listing = await files.listing('/Documents');
    expect(listing.node).toMatchObject({ path: '/Documents', type: 'folder' });
    expect(listing.node!.etag).toMatch(/^".+"$/);
    expect(listing.entries.map((entry) => entry.path).sort()).toEqual((await files.list('/Documents')).map((entry) => entry.path).sort());
    expect(await files.version('/Documents')).toEqual({ etag: listing.node!.etag, type: 'folder' });
    await files.write('/Documents/listing-version.txt', 'x');
    const changed = await files.version('/Documents');
    expect(changed.etag).not.toBe(listing.node!.etag);
    expect((await files.listing('/Documents')).node!.etag).toBe(changed.etag);
    await files.delete('/Documents/listing-version.txt');
  });

  it('lists a file as the file itself', async () => {
    const listing = await nextcloud.as('alice').files.listing('/Readme.md');
    expect(listing.node).toMatchObject({ path: '/Readme.md', type: 'file' });
    expect(listing.entries.map((entry) => entry.path)).toEqual(['/Readme.md']);
    expect((await nextcloud.as('alice').files.version('/Readme.md')).type).toBe('file');
  });

  it('fails the version check of what does not exist', async () => {
    expect((await failure(nextcloud.as('alice').files.version('/No such folder'))).code).toBe('not_found');
  });
});

describe('a download describes the file in its headers', () => {
  it('as Nextcloud sends them: size, type, etag and last change, and no file id', async () => {
    const files = nextcloud.as('alice').files;
    const stat = await files.stat('/Readme.md');
    const read = await files.read('/Readme.md', { range: { start: 2, end: 6 } });
    read.stream.destroy();
    expect(read).toMatchObject({
      size: stat.size,
      etag: stat.etag,
      lastModified: stat.lastModified,
      fileId: null,
      partial: true,
      length: 5,
    });
    // PHP adds a charset to text types; the stored MIME type is what stat names.
    expect(read.contentType?.split(';')[0]).toBe(stat.contentType);
  });

  it('the simulator answers GET as the contract says: 206 with Content-Range, ETag and OC-ETag, no OC-FileId', async () => {
    const secret = 'lib-test-secret-'.padEnd(64, 'x');
    const headers = {
      'EX-APP-ID': 'mcp_gateway',
      'EX-APP-VERSION': '0.1.0',
      'AUTHORIZATION-APP-API': Buffer.from(`alice:${secret}`).toString('base64'),
      Range: 'bytes=0-3',
    };
    const response = await fetch(`${sim.url}/remote.php/dav/files/alice/Readme.md`, { headers });
    await response.body?.cancel();
    expect(response.status).toBe(206);
    expect(response.headers.get('content-range')).toMatch(/^bytes 0-3\/\d+$/);
    expect(response.headers.get('etag')).toMatch(/^".+"$/);
    expect(response.headers.get('oc-etag')).toBe(response.headers.get('etag'));
    expect(response.headers.get('oc-fileid')).toBeNull();
  });

  it("refuses to read a folder, with the simulator's 501", async () => {
    const error = await failure(nextcloud.as('alice').files.read('/Documents'));
    expect(isFolderRead(error)).toBe(true);
    expect(error.message).toContain('/Documents is a folder');
  });
});

/** Stands in for Nextcloud where the simulator cannot: GET on a folder as Nextcloud answers it, answers a proxy spoilt. */
let server: http.Server;
let url: string;
const requests: string[] = [];
const client = () =>
  createNextcloud({ baseUrl: url, appId: 'mcp_gateway', appVersion: '0.1.0', appSecret: 'x'.repeat(64), timeoutMs: 5000 }).as('alice')
    .files;
const FOLDER =
  '<?xml version="1.0"?><d:multistatus xmlns:d="DAV:"><d:response><d:href>/remote.php/dav/files/alice/Folder/</d:href><d:propstat><d:prop><d:getetag>"f1"</d:getetag><d:resourcetype><d:collection/></d:resourcetype></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response></d:multistatus>';
const FILE =
  '<?xml version="1.0"?><d:multistatus xmlns:d="DAV:"><d:response><d:href>/remote.php/dav/files/alice/plain.txt</d:href><d:propstat><d:prop><d:getetag>"p1"</d:getetag><oc:fileid xmlns:oc="http://owncloud.org/ns">77</oc:fileid><d:resourcetype/><d:getlastmodified>Thu, 03 Dec 2026 10:16:09 GMT</d:getlastmodified></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response></d:multistatus>';

beforeAll(async () => {
  server = http.createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    request.resume();
    const folder = request.url!.endsWith('/Folder');
    if (request.url!.endsWith('/login.txt')) {
      // A login page where Nextcloud should be, for every request, with a length as pages have.
      const page = '<!DOCTYPE html><html><body><form>Log in</form></body></html>';
      response.writeHead(200, { 'content-type': 'text/html; charset=UTF-8', 'content-length': String(page.length) }).end(page);
      return;
    }
    if (request.method === 'GET' && request.url!.endsWith('/long.txt')) {
      // Random bytes where the file was (a proxy's page, garbage): more than the range it announces.
      response.writeHead(206, { 'content-type': 'text/plain', etag: '"l1"', 'content-range': 'bytes 0-9/1000' });
      response.end('z'.repeat(64));
      return;
    }
    if (request.method === 'GET' && request.url!.endsWith('/short.txt')) {
      // An answer a proxy cut: it announces 100 bytes of the file and ends cleanly after 50.
      response.writeHead(206, { 'content-type': 'text/plain', etag: '"s1"', 'content-range': 'bytes 0-99/1000' });
      response.end('y'.repeat(50));
      return;
    }
    if (request.method === 'GET') {
      // DummyGetResponsePlugin: a folder gets a line of text; a file (here one behind a proxy that strips ETag) its bytes.
      response.writeHead(200, { 'content-type': folder ? 'text/html; charset=UTF-8' : 'text/plain' });
      response.end(
        folder
          ? 'This is the WebDAV interface. It can only be accessed by WebDAV clients such as the Nextcloud desktop sync client.'
          : 'plain text',
      );
      return;
    }
    response.writeHead(207, { 'content-type': 'application/xml; charset=utf-8' }).end(folder ? FOLDER : FILE);
  });
  url = await listen(server);
});
afterAll(() => close(server));

describe('a GET on a folder answered the way Nextcloud does', () => {
  it('is a folder error, not the text as file content', async () => {
    requests.length = 0;
    const error = await failure(client().read('/Folder', { range: { start: 0, end: 99 } }));
    expect(isFolderRead(error)).toBe(true);
    expect(error.code).toBe('bad_request');
    expect(error.message).toContain('/Folder is a folder');
    expect(requests).toEqual(['GET /remote.php/dav/files/alice/Folder', 'PROPFIND /remote.php/dav/files/alice/Folder']);
  });

  it('never hands out a login page as the file: the answer without ETag makes the client ask, which fails', async () => {
    const error = await failure(client().read('/login.txt', { range: { start: 0, end: 99 } }));
    expect(error.code).toBe('protocol');
    expect(error.message).toContain('200 with text/html instead of a WebDAV multistatus');
  });

  it('reads a file whose answer lost its ETag, describing it from a stat', async () => {
    const read = await client().read('/plain.txt');
    const chunks: Buffer[] = [];
    for await (const chunk of read.stream) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('plain text');
    expect(read).toMatchObject({ etag: '"p1"', fileId: 77, lastModified: '2026-12-03T10:16:09.000Z' });
  });
});

describe('a download that ends short', () => {
  it('is an error naming Nextcloud, never a shorter file', async () => {
    const read = await client().read('/short.txt', { range: { start: 0, end: 99 } });
    const error = await failure(read.stream.toArray());
    expect(error.code).toBe('protocol');
    expect(error.message).toMatch(
      /^Nextcloud answered GET \/short\.txt in an unexpected way: 50 bytes where it announced 100 \(Content-Range\)/,
    );
  });

  it('and so is one that holds more than announced', async () => {
    const read = await client().read('/long.txt', { range: { start: 0, end: 9 } });
    const error = await failure(read.stream.toArray());
    expect(error.code).toBe('protocol');
    expect(error.message).toMatch(/in an unexpected way: at least 64 bytes where it announced 10 \(Content-Range\)/);
  });
});

describe('entries made of d:response elements', () => {
  const toEntry = fileEntryReader('https://cloud.example.com/nextcloud', '/remote.php/dav/files/alice');
  const props = (modified: string): XmlNode => ({
    children: { [clark(NS.dav, 'getlastmodified')]: [{ children: {}, attributes: {}, text: modified }] },
    attributes: {},
  });

  it('reads last changes exactly as Date does, HTTP dates and others', () => {
    const samples = [
      'Thu, 03 Dec 2026 10:16:09 GMT',
      'Sat, 29 Feb 2020 23:59:59 GMT',
      'Mon, 31 Feb 2025 00:00:00 GMT',
      'Tue, 01 Jan 1980 00:00:00 GMT',
      'Wed, 15 Jul 2026 24:00:00 GMT',
      '2026-07-15T08:30:00+02:00',
      'Sun, 06 Nov 1994 08:49:37 +0200',
    ];
    for (let day = 1; day <= 31; day++)
      samples.push(`Fri, ${String(day).padStart(2, '0')} Mar 2028 ${String(day % 24).padStart(2, '0')}:0${day % 10}:5${day % 10} GMT`);
    for (const modified of samples)
      expect(toEntry('/nextcloud/remote.php/dav/files/alice/a.txt', props(modified), 'PROPFIND', '/x').lastModified, modified).toBe(
        new Date(modified).toISOString(),
      );
  });

  it('reads hrefs as a URL parser does, whatever they hold', () => {
    const cases: Array<[string, string]> = [
      ['/nextcloud/remote.php/dav/files/alice/Caf%C3%A9%20%26%20more/', '/Café & more'],
      ['/nextcloud/remote.php/dav/files/alice/a/./b/../c.txt', '/a/c.txt'],
      ['/nextcloud/remote.php/dav/files/alice/a/%2e%2e/c.txt', '/c.txt'],
      ['https://cloud.example.com/nextcloud/remote.php/dav/files/alice/x%20y', '/x y'],
      ['/nextcloud/remote.php/dav/files/alice/q?x#y', '/q'],
      ['/nextcloud/remote.php/dav/files/alice/', '/'],
    ];
    for (const [href, path] of cases) expect(toEntry(href, props('Thu, 03 Dec 2026 10:16:09 GMT'), 'PROPFIND', '/x').path, href).toBe(path);
    expect(() => toEntry('/nextcloud/remote.php/dav/files/alice/%zz', props(''), 'PROPFIND', '/x')).toThrow(/not a valid URL path/);
  });
});
