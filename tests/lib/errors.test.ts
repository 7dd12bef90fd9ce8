// Error values, timeouts and the pure parsing parts of lib/.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createNextcloud, parsePermissions } from '../../lib/index.js';
import { eventsOf, parseCalendar, propTime, textOf, wallOf, zoneOf } from '../../lib/ical.js';
import { NS, child, parseMultistatus, text } from '../../lib/dav-xml.js';
import { searchBody } from '../../lib/file-search.js';
import { parseOcFileId } from '../../lib/files.js';
import { humanPath } from '../../lib/http.js';
import { codeForOcsStatus, isOcsSuccess } from '../../lib/ocs.js';
import type { LibFixture } from '../support/lib-fixture.js';
import { failure, startLibFixture } from '../support/lib-fixture.js';

const secret = 'lib-errors-secret-'.padEnd(64, 'q');

describe('against the simulator', () => {
  let fixture: LibFixture;
  beforeAll(async () => {
    fixture = await startLibFixture({ dav: false });
  });
  afterAll(() => fixture?.sim.stop());
  const client = (appSecret?: string) => fixture.client({ appSecret, timeoutMs: 5000 });

  it('reports a wrong app secret as unauthorized, without the secret in the message', async () => {
    const error = await failure(client('wrong-secret-value').as('alice').currentUser());
    expect(error.code).toBe('unauthorized');
    expect(error.status).toBe(401);
    expect(error.message).not.toContain('wrong-secret-value');
    expect(error.message).toMatch(/did not accept the app's credentials/);
    fixture.sim.throttler.reset('127.0.0.1', 'app_api');
  });

  it('reports a disabled user as unauthorized', async () => {
    fixture.sim.setUserEnabled('carol', false);
    try {
      expect((await failure(client().as('carol').currentUser())).code).toBe('unauthorized');
    } finally {
      fixture.sim.setUserEnabled('carol', true);
    }
  });

  it('maps OCS not-found, and a server error of Nextcloud', async () => {
    expect((await failure(client().as('alice').talk.conversation('nosuchroom'))).code).toBe('not_found');
    expect((await failure(client().as('alice').search('nope', { term: 'x' }))).code).toBe('unavailable');
  });

  it('reports an unreachable DAV backend as unavailable rather than hanging', async () => {
    const error = await failure(client().as('alice').files.list('/'));
    expect(error.code).toBe('unavailable');
  });

  it('never sends an acting-user call without a user', () => {
    expect(() => client().as('')).toThrow(/needs a user id/);
    expect(() => client().as('alice:x')).toThrow(/not a Nextcloud user id/);
    expect(() => client().as('../alice')).toThrow(/not a Nextcloud user id/);
  });
});

describe('timeouts and unreachable servers', () => {
  let silent: http.Server;
  let url: string;
  /** "METHOD /path" of every request the silent server received. */
  const received: string[] = [];
  beforeAll(async () => {
    // Accepts connections and never answers.
    silent = http.createServer((request) => void received.push(`${request.method} ${request.url}`));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    silent.closeAllConnections();
    silent.close();
  });
  /** Requests the client sent, counted as it sends them (the server may read them a moment later). */
  const sent: string[] = [];
  const countingFetch: typeof fetch = (input, init) => {
    sent.push(`${(init?.method ?? 'GET').toUpperCase()} ${new URL(input instanceof Request ? input.url : String(input)).pathname}`);
    return fetch(input, init);
  };
  const silentClient = () =>
    createNextcloud({ baseUrl: url, appId: 'mcp_gateway', appVersion: '0.1.0', appSecret: secret, timeoutMs: 200, fetch: countingFetch });

  it('gives up on OCS, WebDAV, CalDAV and Talk calls after the timeout', async () => {
    const user = silentClient().as('alice');
    for (const call of [
      () => user.currentUser(),
      () => user.files.list('/'),
      () => user.files.search({ nameContains: 'x' }),
      () => user.calendar.calendars(),
      () => user.talk.conversations(),
      () => silentClient().system().setInitProgress(10),
    ]) {
      sent.length = 0;
      const error = await failure(call());
      expect(error.code).toBe('timeout');
      // One wait of the configured 200 ms, not the 30 s default: the message names it ...
      expect(error.message).toMatch(/ within 200 ms\.$/);
      // ... and one request, so no second wait: nothing was retried or tried elsewhere after the timeout.
      expect(sent).toHaveLength(1);
    }
    // Each of them went over the wire and met the silence, rather than failing in the client.
    await vi.waitFor(() => expect(received).toHaveLength(6), { timeout: 20_000 });
  });

  it('reports a closed port as unavailable', async () => {
    const closed = createNextcloud({
      baseUrl: 'http://127.0.0.1:9',
      appId: 'mcp_gateway',
      appVersion: '0.1.0',
      appSecret: secret,
      timeoutMs: 2000,
    });
    expect((await failure(closed.as('alice').currentUser())).code).toBe('unavailable');
  });
});

describe('parsing', () => {
  it('reads permission letters the way Nextcloud writes them', () => {
    expect(parsePermissions('RGDNVW', 'file')).toMatchObject({
      read: true,
      write: true,
      delete: true,
      rename: true,
      share: true,
      shared: false,
    });
    expect(parsePermissions('SGDNV', 'folder')).toMatchObject({ read: true, write: false, create: false, delete: true, shared: true });
    expect(parsePermissions('SG', 'file')).toMatchObject({ write: false, delete: false, rename: false, shared: true });
    expect(parsePermissions('RGDNVCK', 'folder')).toMatchObject({ write: true, create: true });
    expect(parsePermissions('SMGDNVW', 'file').mounted).toBe(true);
  });

  it('parses multistatus by namespace URI, whatever the prefixes', () => {
    const xml = `<?xml version="1.0"?><x:multistatus xmlns:x="DAV:"><x:response><x:href>/a</x:href>
      <x:propstat><x:prop><y:fileid xmlns:y="http://owncloud.org/ns">7</y:fileid><x:getetag>"e"</x:getetag></x:prop><x:status>HTTP/1.1 200 OK</x:status></x:propstat>
      <x:propstat><x:prop><x:getcontenttype/></x:prop><x:status>HTTP/1.1 404 Not Found</x:status></x:propstat></x:response></x:multistatus>`;
    const [entry] = parseMultistatus(xml);
    expect(entry!.href).toBe('/a');
    expect(text(child(entry!.props, NS.oc, 'fileid'))).toBe('7');
    expect(text(child(entry!.props, NS.dav, 'getetag'))).toBe('"e"');
    expect(child(entry!.props, NS.dav, 'getcontenttype')).toBeUndefined();
  });

  it('reads events from folded iCalendar', () => {
    const ics =
      'BEGIN:VCALENDAR\r\nBEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT\r\nUID:u1\r\nSUMMARY:Long\r\n  title\\, here\r\nDTSTART;TZID=Europe/Berlin:20261201T093000\r\nBEGIN:VALARM\r\nDTSTART:19700101T000000\r\nEND:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n';
    const { master, overrides } = eventsOf(parseCalendar(ics));
    expect(overrides).toEqual([]);
    // The event's own DTSTART, not the alarm's inside it.
    const start = propTime(master!, 'dtstart')!;
    expect({
      uid: textOf(master!, 'uid'),
      summary: textOf(master!, 'summary'),
      start: wallOf(start.time),
      startTimezone: start.tzid,
      allDay: start.time.isDate,
      zone: zoneOf(start),
    }).toEqual({
      uid: 'u1',
      summary: 'Long title, here',
      start: { year: 2026, month: 12, day: 1, hour: 9, minute: 30, second: 0 },
      startTimezone: 'Europe/Berlin',
      allDay: false,
      zone: 'Europe/Berlin',
    });
  });

  it('builds a DASL query with escaped literals and a scope inside the user home', () => {
    const body = searchBody('alice', { nameContains: 'a<b', under: '/Plans/Q3', type: 'file', limit: 5000 });
    expect(body).toContain('<d:literal>%a&lt;b%</d:literal>');
    expect(body).toContain('<d:href>/files/alice/Plans/Q3</d:href>');
    expect(body).toContain('<d:not><d:is-collection/></d:not>');
    expect(body).toContain('<d:nresults>500</d:nresults>');
    expect(() => searchBody('alice', { under: '/../bob' })).toThrow();
  });

  it('resolves default namespaces and per-element declarations, and ignores failed propstats', () => {
    const xml = `<multistatus xmlns="DAV:"><response><href>/remote.php/dav/files/alice/caf%C3%A9.txt</href>
      <propstat><prop><permissions xmlns="http://owncloud.org/ns">RGDNVW</permissions><n:mount-type xmlns:n="http://nextcloud.org/ns"/>
      <displayname>caf&#233; &amp; more</displayname></prop><status>HTTP/1.1 200 OK</status></propstat>
      <propstat><prop><quota-used-bytes>9</quota-used-bytes></prop><status>HTTP/1.1 404 Not Found</status></propstat></response></multistatus>`;
    const [entry] = parseMultistatus(xml);
    expect(text(child(entry!.props, NS.oc, 'permissions'))).toBe('RGDNVW');
    expect(child(entry!.props, NS.dav, 'permissions')).toBeUndefined();
    expect(child(entry!.props, NS.nc, 'mount-type')).toBeDefined();
    expect(text(child(entry!.props, NS.dav, 'displayname'))).toBe('café & more');
    expect(child(entry!.props, NS.dav, 'quota-used-bytes')).toBeUndefined();
    // The same local name in another namespace is another property.
    const foreign = parseMultistatus(
      '<d:multistatus xmlns:d="DAV:" xmlns:oc="urn:not-owncloud"><d:response><d:href>/x</d:href><d:propstat><d:prop><oc:fileid>1</oc:fileid></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response></d:multistatus>',
    );
    expect(child(foreign[0]!.props, NS.oc, 'fileid')).toBeUndefined();
  });

  it('reads file ids from OC-FileId headers of any length', () => {
    expect(parseOcFileId('00004711oc9l3j5ur4db')).toBe(4711);
    expect(parseOcFileId('123456789oc9l3j5ur4db')).toBe(123456789);
    expect(parseOcFileId(null)).toBeNull();
    expect(parseOcFileId('ocabc')).toBeNull();
  });

  it('knows which OCS status codes are failures, per API version', () => {
    expect(isOcsSuccess('/ocs/v1.php/apps/app_api/api/v1/log', 100)).toBe(true);
    expect(isOcsSuccess('/ocs/v1.php/apps/app_api/api/v1/log', 200)).toBe(false);
    expect(isOcsSuccess('/ocs/v2.php/cloud/user', 200)).toBe(true);
    expect(isOcsSuccess('/ocs/v2.php/cloud/user', 404)).toBe(false);
    expect([997, 998, 996, 999, 102, 403, 409, 412, 429].map(codeForOcsStatus)).toEqual([
      'unauthorized',
      'not_found',
      'unavailable',
      'unavailable',
      'bad_request',
      'forbidden',
      'conflict',
      'precondition_failed',
      'rate_limited',
    ]);
  });
});

describe('paths in messages', () => {
  it('show the part of a DAV path a person recognises: the path in their files, calendars or address books', () => {
    expect(humanPath('/remote.php/dav/files/alice/Documents/Gr%C3%B6%C3%9Fe.md')).toBe('/Documents/Größe.md');
    expect(humanPath('/remote.php/dav/calendars/alice/personal/x.ics')).toBe('/personal/x.ics');
    expect(humanPath('/remote.php/dav/addressbooks/users/alice/contacts/a.vcf')).toBe('/contacts/a.vcf');
    expect(humanPath('/remote.php/dav/addressbooks/users/alice')).toBe('/');
    expect(humanPath('/ocs/v2.php/cloud/user')).toBe('/ocs/v2.php/cloud/user');
    expect(humanPath('/remote.php/dav/files/alice/%E0%A4%A')).toBe('/%E0%A4%A');
  });
});
