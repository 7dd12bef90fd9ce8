// The simulator's PHP WebDAV/CalDAV backend (tests/nextcloud-sim/dav/) on its own: seeded data dir, php -S,
// requests carrying the headers the Node bridge adds (X-Sim-User, X-Sim-Token, X-Sim-Public-Url).
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { DAVClient } from 'tsdav';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PhpBackend } from './php-backend.js';
import { startPhpBackend } from './php-backend.js';

let token = '';
const publicUrl = 'http://public.example:8080';
let dataDir = '';
let origin = '';
let php: PhpBackend | undefined;

const PROPS = `<?xml version="1.0"?>
<d:propfind xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns" xmlns:nc="http://nextcloud.org/ns" xmlns:ocs="http://open-collaboration-services.org/ns">
  <d:prop>
    <d:getetag/><d:getcontenttype/><d:getcontentlength/><d:resourcetype/><d:displayname/><d:quota-available-bytes/>
    <oc:fileid/><oc:id/><oc:permissions/><oc:size/><oc:favorite/><oc:owner-id/><oc:owner-display-name/><oc:share-types/>
    <ocs:share-permissions/><nc:mount-type/><nc:is-mount-root/><nc:has-preview/>
  </d:prop>
</d:propfind>`;

function headers(user: string, extra: Record<string, string> = {}): Record<string, string> {
  return { 'x-sim-user': user, 'x-sim-token': token, 'x-sim-public-url': publicUrl, ...extra };
}

function dav(user: string, method: string, davPath: string, body?: string, extra: Record<string, string> = {}): Promise<Response> {
  return fetch(`${origin}/remote.php/dav/${davPath}`, {
    method,
    headers: headers(user, { 'content-type': 'application/xml', ...extra }),
    body,
  });
}

/** fetch normalises '..' away; raw requests keep the path exactly as written. */
function rawRequest(user: string, method: string, rawPath: string): Promise<number> {
  const url = new URL(origin);
  return new Promise((resolve, reject) => {
    const request = http.request({ host: url.hostname, port: url.port, method, path: rawPath, headers: headers(user) }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', reject);
    request.end();
  });
}

interface Entry {
  href: string;
  props: Map<string, string>;
  missing: Set<string>;
}

/** Tiny namespace-aware reader for multistatus bodies: props keyed as "{ns}local" via the declared prefixes. */
function parseMultistatus(xml: string): Entry[] {
  const namespaces = new Map<string, string>();
  // Only the root's declarations: sabre re-declares prefixes on nested elements (even d: as the CalDAV namespace).
  for (const match of xml.matchAll(/xmlns:(\w+)="([^"]+)"/g)) if (!namespaces.has(match[1]!)) namespaces.set(match[1]!, match[2]!);
  const clark = (qname: string): string => {
    const [prefix, local] = qname.includes(':') ? qname.split(':') : ['', qname];
    return `{${namespaces.get(prefix!) ?? ''}}${local}`;
  };
  const entries: Entry[] = [];
  for (const response of xml.matchAll(/<d:response>([\s\S]*?)<\/d:response>/g)) {
    const body = response[1]!;
    const href = decodeURIComponent(/<d:href>([^<]*)<\/d:href>/.exec(body)![1]!);
    const props = new Map<string, string>();
    const missing = new Set<string>();
    for (const propstat of body.matchAll(/<d:propstat>([\s\S]*?)<\/d:propstat>/g)) {
      const ok = propstat[1]!.includes('200 OK');
      const prop = /<d:prop>([\s\S]*)<\/d:prop>/.exec(propstat[1]!)![1]!;
      for (const element of prop.matchAll(/<([\w-]+:[\w-]+)(?:\s[^>]*)?(?:\/>|>([\s\S]*?)<\/\1>)/g)) {
        if (ok) props.set(clark(element[1]!), element[2] ?? '');
        else missing.add(clark(element[1]!));
      }
    }
    entries.push({ href, props, missing });
  }
  return entries;
}

const OC = '{http://owncloud.org/ns}';
const NC = '{http://nextcloud.org/ns}';

async function propfind(user: string, davPath: string, depth = '1'): Promise<Entry[]> {
  const response = await dav(user, 'PROPFIND', davPath, PROPS, { depth });
  expect(response.status).toBe(207);
  return parseMultistatus(await response.text());
}

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dav-backend-test-'));
  php = await startPhpBackend(dataDir);
  origin = php.origin;
  token = php.token;
}, 30_000);

afterAll(async () => {
  await php?.stop();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('files over WebDAV', () => {
  it('rejects a wrong token', async () => {
    const response = await fetch(`${origin}/remote.php/dav/files/alice/`, {
      method: 'PROPFIND',
      headers: { 'x-sim-user': 'alice', 'x-sim-token': 'nope' },
    });
    expect(response.status).toBe(401);
  });

  it('answers 401 without a user and reports health without a token', async () => {
    const response = await fetch(`${origin}/remote.php/dav/files/alice/`, {
      method: 'PROPFIND',
      headers: { 'x-sim-user': '', 'x-sim-token': token },
    });
    expect(response.status).toBe(401);
    expect(await response.text()).toContain('<s:exception>Sabre\\DAV\\Exception\\NotAuthenticated</s:exception>');
    expect(await (await fetch(`${origin}/_sim/health`)).json()).toEqual({ ok: true });
  });

  it('lists alice’s home with Nextcloud properties', async () => {
    const entries = await propfind('alice', 'files/alice/');
    const root = entries[0]!;
    expect(root.href).toBe('/remote.php/dav/files/alice/');
    expect(root.props.get(`${OC}permissions`)).toBe('RGDNVCK');
    expect(root.props.get('{DAV:}getetag')).toMatch(/^"[^"]+"$/);
    expect(root.props.get('{DAV:}quota-available-bytes')).toBe('-3');
    expect(root.missing.has('{DAV:}getcontenttype')).toBe(true);
    const readme = entries.find((entry) => entry.href.endsWith('/Readme.md'))!;
    expect(readme.props.get(`${OC}permissions`)).toBe('RGDNVW');
    expect(readme.props.get(`${OC}favorite`)).toBe('1');
    expect(readme.props.get('{DAV:}getcontenttype')).toBe('text/markdown');
    expect(readme.props.get(`${OC}id`)).toBe(`${readme.props.get(`${OC}fileid`)!.padStart(8, '0')}ocsim0000000`);
    expect(readme.props.get(`${OC}owner-display-name`)).toBe('Alice Liddell');
    const plans = entries.find((entry) => entry.href.endsWith('/Plans/'))!;
    expect(plans.props.get(`${OC}share-types`)).toContain('>0<');
    expect(plans.props.get('{DAV:}resourcetype')).toContain('collection');
    expect(Number(entries.find((entry) => entry.href.endsWith('/Media/'))!.props.get(`${OC}size`))).toBe(8 * 1024 * 1024);
    expect(entries.some((entry) => entry.href === '/remote.php/dav/files/alice/Notes/')).toBe(true);
  });

  it('shows bob the read-only share from alice', async () => {
    const entries = await propfind('bob', 'files/bob/Shared/');
    const mount = entries.find((entry) => entry.href === '/remote.php/dav/files/bob/Shared/Plans/')!;
    expect(mount.props.get(`${OC}permissions`)).toBe('SGDNV');
    expect(mount.props.get(`${NC}mount-type`)).toBe('shared');
    expect(mount.props.get(`${NC}is-mount-root`)).toBe('true');
    expect(mount.props.get(`${OC}owner-id`)).toBe('alice');
    const inside = await propfind('bob', 'files/bob/Shared/Plans/');
    const roadmap = inside.find((entry) => entry.href.endsWith('/Roadmap.md'))!;
    expect(roadmap.props.get(`${OC}permissions`)).toBe('SG');
    expect(roadmap.props.get(`${NC}is-mount-root`)).toBe('false');
    expect(roadmap.props.get('{http://open-collaboration-services.org/ns}share-permissions')).toBe('1');
  });

  it('refuses every write by bob inside the share with Nextcloud’s Forbidden body', async () => {
    const put = await dav('bob', 'PUT', 'files/bob/Shared/Plans/Roadmap.md', 'changed');
    expect(put.status).toBe(403);
    const body = await put.text();
    expect(body).toContain('<s:exception>OCA\\DAV\\Connector\\Sabre\\Exception\\Forbidden</s:exception>');
    expect(body).toContain('<o:retry xmlns:o="http://owncloud.org/ns">false</o:retry>');
    expect((await dav('bob', 'PUT', 'files/bob/Shared/Plans/new.txt', 'x')).status).toBe(403);
    expect((await dav('bob', 'MKCOL', 'files/bob/Shared/Plans/New')).status).toBe(403);
    expect((await dav('bob', 'DELETE', 'files/bob/Shared/Plans/Roadmap.md')).status).toBe(403);
    expect(
      (
        await dav('bob', 'MOVE', 'files/bob/Shared/Plans/Roadmap.md', undefined, {
          destination: `${publicUrl}/remote.php/dav/files/bob/Roadmap.md`,
        })
      ).status,
    ).toBe(403);
    const copy = await dav('bob', 'COPY', 'files/bob/Shared/Plans/Roadmap.md', undefined, {
      destination: `${publicUrl}/remote.php/dav/files/bob/Roadmap%20copy.md`,
    });
    expect(copy.status).toBe(201);
  });

  it('answers 404 for another user’s home, however the path is spelled', async () => {
    expect((await dav('bob', 'PROPFIND', 'files/alice/', PROPS)).status).toBe(404);
    expect((await dav('bob', 'GET', 'files/alice/Readme.md')).status).toBe(404);
    for (const raw of [
      '/remote.php/dav/files/bob/../alice/Readme.md',
      '/remote.php/dav/files/bob/%2e%2e/alice/Readme.md',
      '/remote.php/dav/files/bob%2f..%2falice/Readme.md',
      '/remote.php/dav/files/bob/Notes/%2E%2E/%2E%2E/alice/Readme.md',
      '/remote.php/dav//files//alice//Readme.md',
    ]) {
      expect(await rawRequest('bob', 'GET', raw), raw).toBe(404);
    }
  });

  it('serves ranges, preconditions and write headers', async () => {
    const whole = await dav('alice', 'GET', 'files/alice/Media/dataset.bin');
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-length')).toBe(String(8 * 1024 * 1024));
    const bytes = Buffer.from(await whole.arrayBuffer());
    const part = await dav('alice', 'GET', 'files/alice/Media/dataset.bin', undefined, { range: 'bytes=1000-1999' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 1000-1999/${8 * 1024 * 1024}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(1000, 2000))).toBe(true);
    expect((await dav('alice', 'GET', 'files/alice/Readme.md', undefined, { range: 'bytes=5000-' })).status).toBe(416);

    const created = await dav('alice', 'PUT', 'files/alice/Documents/new.txt', 'one', { 'if-none-match': '*' });
    expect(created.status).toBe(201);
    const etag = created.headers.get('etag')!;
    expect(created.headers.get('oc-etag')).toBe(etag);
    expect(created.headers.get('oc-fileid')).toMatch(/^\d{8}ocsim0000000$/);
    expect((await dav('alice', 'PUT', 'files/alice/Documents/new.txt', 'two', { 'if-none-match': '*' })).status).toBe(412);
    const stale = await dav('alice', 'PUT', 'files/alice/Documents/new.txt', 'two', { 'if-match': '"stale"' });
    expect(stale.status).toBe(412);
    expect(await stale.text()).toContain('PreconditionFailed');
    const updated = await dav('alice', 'PUT', 'files/alice/Documents/new.txt', 'two', { 'if-match': etag });
    expect(updated.status).toBe(204);
    expect(updated.headers.get('etag')).not.toBe(etag);
    expect((await dav('alice', 'PUT', 'files/alice/Missing/new.txt', 'x')).status).toBe(409);
    expect((await dav('alice', 'MKCOL', 'files/alice/Documents')).status).toBe(405);
    expect((await dav('alice', 'MKCOL', 'files/alice/Nope/Deeper')).status).toBe(409);
  });

  it('keeps the file id across MOVE and moves deleted nodes to the trash', async () => {
    const before = (await propfind('alice', 'files/alice/Documents/Notes.txt', '0'))[0]!.props.get(`${OC}fileid`);
    const move = await dav('alice', 'MOVE', 'files/alice/Documents/Notes.txt', undefined, {
      destination: `${publicUrl}/remote.php/dav/files/alice/Notes/Notes.txt`,
    });
    expect(move.status).toBe(201);
    expect((await propfind('alice', 'files/alice/Notes/Notes.txt', '0'))[0]!.props.get(`${OC}fileid`)).toBe(before);
    expect(
      (
        await dav('alice', 'MOVE', 'files/alice/Notes/Notes.txt', undefined, {
          destination: `${publicUrl}/remote.php/dav/files/alice/Readme.md`,
          overwrite: 'F',
        })
      ).status,
    ).toBe(412);
    expect((await dav('alice', 'DELETE', 'files/alice/Notes/Notes.txt')).status).toBe(204);
    expect(fs.readdirSync(path.join(dataDir, 'alice', 'trash')).some((name) => name.startsWith('Notes.txt.d'))).toBe(true);
  });

  it('refuses a MOVE out of the share before touching an existing destination', async () => {
    const move = await dav('bob', 'MOVE', 'files/bob/Shared/Plans/Roadmap.md', undefined, {
      destination: `${publicUrl}/remote.php/dav/files/bob/Readme.md`,
    });
    expect(move.status).toBe(403);
    expect((await dav('bob', 'GET', 'files/bob/Readme.md')).status).toBe(200);
    expect(
      (await dav('alice', 'MOVE', 'files/alice/Plans', undefined, { destination: `${publicUrl}/remote.php/dav/files/alice/Plans/Q3` }))
        .status,
    ).toBe(403);
    expect((await dav('alice', 'GET', 'files/alice/Plans/Q3/Milestones.txt')).status).toBe(200);
  });

  it('keeps the share when alice renames the shared folder (shares follow the node, not the path)', async () => {
    const rename = (from: string, to: string) =>
      dav('alice', 'MOVE', `files/alice/${from}`, undefined, { destination: `${publicUrl}/remote.php/dav/files/alice/${to}` });
    expect((await rename('Plans', 'Pl%C3%A4ne')).status).toBe(201);
    const inside = await propfind('bob', 'files/bob/Shared/Plans/Q3/');
    expect(inside.map((entry) => entry.href)).toContain('/remote.php/dav/files/bob/Shared/Plans/Q3/Milestones.txt');
    expect((await rename('Pl%C3%A4ne', 'Plans')).status).toBe(201);
    expect((await propfind('alice', 'files/alice/Plans/', '0'))[0]!.props.get(`${OC}share-types`)).toContain('>0<');
    // bob may rename his mount point (NV on the mount root); alice's folder keeps its name.
    const renameMount = (from: string, to: string) =>
      dav('bob', 'MOVE', `files/bob/${from}`, undefined, { destination: `${publicUrl}/remote.php/dav/files/bob/${to}` });
    expect((await renameMount('Shared/Plans', 'Alice%20plans')).status).toBe(201);
    expect((await propfind('bob', 'files/bob/Alice%20plans/', '0'))[0]!.props.get(`${NC}is-mount-root`)).toBe('true');
    expect((await dav('alice', 'GET', 'files/alice/Plans/Roadmap.md')).status).toBe(200);
    expect((await renameMount('Alice%20plans', 'Shared/Plans')).status).toBe(201);
  });

  it('propagates etags to folders above, including the recipient’s mount point', async () => {
    const etag = async (user: string, davPath: string) => (await propfind(user, davPath, '0'))[0]!.props.get('{DAV:}getetag');
    const [aliceRoot, bobRoot, bobShared, bobMount] = await Promise.all([
      etag('alice', 'files/alice/'),
      etag('bob', 'files/bob/'),
      etag('bob', 'files/bob/Shared/'),
      etag('bob', 'files/bob/Shared/Plans/'),
    ]);
    expect((await dav('alice', 'PUT', 'files/alice/Plans/Q3/Milestones.txt', 'M1 moved\n')).status).toBe(204);
    expect(await etag('alice', 'files/alice/')).not.toBe(aliceRoot);
    expect(await etag('bob', 'files/bob/')).not.toBe(bobRoot);
    expect(await etag('bob', 'files/bob/Shared/')).not.toBe(bobShared);
    expect(await etag('bob', 'files/bob/Shared/Plans/')).not.toBe(bobMount);
    expect(await (await dav('bob', 'GET', 'files/bob/Shared/Plans/Q3/Milestones.txt')).text()).toBe('M1 moved\n');
  });

  it('honours X-OC-MTime and ignores the query string', async () => {
    const put = await dav('alice', 'PUT', 'files/alice/Documents/dated.txt', 'old news', { 'x-oc-mtime': '1700000000' });
    expect(put.status).toBe(201);
    expect(put.headers.get('x-oc-mtime')).toBe('accepted');
    const get = await dav('alice', 'GET', 'files/alice/Documents/dated.txt?downloadStartSecret=abc');
    expect(get.status).toBe(200);
    expect(get.headers.get('last-modified')).toBe(new Date(1_700_000_000_000).toUTCString());
    expect(get.headers.get('content-disposition')).toBe(`attachment; filename*=UTF-8''dated.txt; filename="dated.txt"`);
  });

  it('sets favourites with PROPPATCH (all or nothing) and lists them with filter-files', async () => {
    const patch = (body: string) =>
      dav(
        'alice',
        'PROPPATCH',
        'files/alice/Documents/Budget.csv',
        `<d:propertyupdate xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns"><d:set><d:prop>${body}</d:prop></d:set></d:propertyupdate>`,
      );
    const mixed = await patch('<oc:favorite>1</oc:favorite><d:displayname>renamed.csv</d:displayname>');
    expect(mixed.status).toBe(207);
    const mixedBody = await mixed.text();
    expect(mixedBody).toContain('403 Forbidden');
    expect(mixedBody).toContain('424 Failed Dependency');
    const ok = await patch('<oc:favorite>1</oc:favorite>');
    expect(ok.status).toBe(207);
    expect(await ok.text()).toContain('200 OK');
    const report = await dav(
      'alice',
      'REPORT',
      'files/alice/',
      `<oc:filter-files xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns"><d:prop><oc:fileid/></d:prop><oc:filter-rules><oc:favorite>1</oc:favorite></oc:filter-rules></oc:filter-files>`,
    );
    expect(report.status).toBe(207);
    expect(
      parseMultistatus(await report.text())
        .map((entry) => entry.href)
        .sort(),
    ).toEqual(['/remote.php/dav/files/alice/Documents/Budget.csv', '/remote.php/dav/files/alice/Readme.md']);
    expect((await patch('<oc:favorite>0</oc:favorite>')).status).toBe(207);
  });

  it('supports DASL SEARCH including shared-in nodes', async () => {
    const search = (user: string, where: string, scope = `/files/${user}`) =>
      dav(
        user,
        'SEARCH',
        '',
        `<?xml version="1.0"?>
<d:searchrequest xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns" xmlns:ns="https://github.com/icewind1991/SearchDAV/ns">
  <d:basicsearch>
    <d:select><d:prop><oc:fileid/><d:displayname/><oc:permissions/></d:prop></d:select>
    <d:from><d:scope><d:href>${scope}</d:href><d:depth>infinity</d:depth></d:scope></d:from>
    ${where}
    <d:orderby><d:order><d:prop><d:displayname/></d:prop><d:ascending/></d:order></d:orderby>
    <d:limit><d:nresults>10</d:nresults><ns:firstresult>0</ns:firstresult></d:limit>
  </d:basicsearch>
</d:searchrequest>`,
      );
    const response = await search(
      'bob',
      '<d:where><d:and><d:like><d:prop><d:displayname/></d:prop><d:literal>%MILE%</d:literal></d:like><d:not><d:is-collection/></d:not></d:and></d:where>',
    );
    expect(response.status).toBe(207);
    const entries = parseMultistatus(await response.text());
    expect(entries.map((entry) => entry.href)).toEqual(['/remote.php/dav/files/bob/Shared/Plans/Q3/Milestones.txt']);
    expect(entries[0]!.props.get(`${OC}permissions`)).toBe('SG');
    const favorites = parseMultistatus(
      await (await search('alice', '<d:where><d:eq><d:prop><oc:favorite/></d:prop><d:literal>yes</d:literal></d:eq></d:where>')).text(),
    );
    expect(favorites.map((entry) => entry.href)).toEqual(['/remote.php/dav/files/alice/Readme.md']);
    const big = parseMultistatus(
      await (await search('alice', '<d:where><d:gt><d:prop><oc:size/></d:prop><d:literal>1000000</d:literal></d:gt></d:where>')).text(),
    );
    expect(big.map((entry) => entry.href)).toEqual(['/remote.php/dav/files/alice/Media/dataset.bin', '/remote.php/dav/files/alice/Media/']);
    expect((await search('alice', '')).status).toBe(400);
    expect([400, 404]).toContain((await search('bob', '<d:where><d:is-collection/></d:where>', '/files/alice')).status);
  });
});

describe('CalDAV', () => {
  const day = (offset: number) => {
    const date = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000 + offset * 86_400_000);
    return date
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d{3}/, '');
  };

  it('is discoverable by tsdav and lists bob’s read-only share', async () => {
    const client = new DAVClient({
      serverUrl: `${origin}/remote.php/dav/`,
      credentials: {},
      authMethod: 'Custom',
      authFunction: async () => headers('bob'),
      defaultAccountType: 'caldav',
    });
    await client.login();
    expect(client.account?.principalUrl).toBe(`${origin}/remote.php/dav/principals/users/bob/`);
    expect(client.account?.homeUrl).toBe(`${origin}/remote.php/dav/calendars/bob/`);
    const calendars = await client.fetchCalendars();
    expect(calendars.map((calendar) => calendar.displayName).sort()).toEqual([
      'Household chores (Alice Liddell)',
      'Personal',
      'Team (Alice Liddell)',
    ]);

    const response = await dav(
      'bob',
      'PROPFIND',
      'calendars/bob/',
      `<d:propfind xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns"><d:prop><d:current-user-privilege-set/><oc:owner-principal/><oc:read-only/></d:prop></d:propfind>`,
      { depth: '1' },
    );
    const shared = parseMultistatus(await response.text()).find((entry) => entry.href.endsWith('/team_shared_by_alice/'))!;
    expect(shared.props.get(`${OC}owner-principal`)).toBe('principals/users/alice');
    expect(shared.props.get(`${OC}read-only`)).toBe('1');
    const privileges = shared.props.get('{DAV:}current-user-privilege-set')!;
    expect(privileges).toContain('<d:read/>');
    for (const write of ['<d:write/>', '<d:write-content/>', '<d:bind/>', '<d:unbind/>']) expect(privileges).not.toContain(write);
  });

  it('lists alice’s soft-deleted calendar with ncc:deleted-at', async () => {
    const response = await dav(
      'alice',
      'PROPFIND',
      'calendars/alice/',
      `<d:propfind xmlns:d="DAV:" xmlns:ncc="http://nextcloud.com/ns"><d:prop><ncc:deleted-at/></d:prop></d:propfind>`,
      { depth: '1' },
    );
    const entries = parseMultistatus(await response.text());
    expect(entries.find((entry) => entry.href.endsWith('/old-project/'))!.props.get('{http://nextcloud.com/ns}deleted-at')).toMatch(
      /^\d{10}$/,
    );
    expect(entries.find((entry) => entry.href.endsWith('/personal/'))!.missing.has('{http://nextcloud.com/ns}deleted-at')).toBe(true);
  });

  it('answers calendar-query with a time range and expansion', async () => {
    const query = (start: string, end: string, expand = '') => `<c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">
  <d:prop><d:getetag/><c:calendar-data>${expand}</c:calendar-data></d:prop>
  <c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT"><c:time-range start="${start}" end="${end}"/></c:comp-filter></c:comp-filter></c:filter>
</c:calendar-query>`;
    const first = await dav('alice', 'REPORT', 'calendars/alice/personal/', query(day(2), day(4)), { depth: '1' });
    expect(first.status).toBe(207);
    const hrefs = parseMultistatus(await first.text()).map((entry) => entry.href);
    expect(hrefs).toEqual(['/remote.php/dav/calendars/alice/personal/dentist.ics']);
    const expanded = await (
      await dav('alice', 'REPORT', 'calendars/alice/personal/', query(day(0), day(22), `<c:expand start="${day(0)}" end="${day(22)}"/>`), {
        depth: '1',
      })
    ).text();
    expect(expanded.match(/SUMMARY:Team standup/g)?.length).toBe(3);
    const shared = await dav('bob', 'REPORT', 'calendars/bob/team_shared_by_alice/', query(day(0), day(30)), { depth: '1' });
    expect(await shared.text()).toContain('SUMMARY:Team offsite');
  });

  it('answers calendar-multiget with a 404 entry for a missing object', async () => {
    const response = await dav(
      'bob',
      'REPORT',
      'calendars/bob/team_shared_by_alice/',
      `<c:calendar-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">
  <d:prop><d:getetag/><c:calendar-data/></d:prop>
  <d:href>/remote.php/dav/calendars/bob/team_shared_by_alice/offsite.ics</d:href>
  <d:href>/remote.php/dav/calendars/bob/team_shared_by_alice/missing.ics</d:href>
</c:calendar-multiget>`,
      { depth: '1' },
    );
    expect(response.status).toBe(207);
    const entries = parseMultistatus(await response.text());
    expect(entries[0]!.props.get('{urn:ietf:params:xml:ns:caldav}calendar-data')).toContain('SUMMARY:Team offsite');
    expect(entries[1]!.href).toBe('/remote.php/dav/calendars/bob/team_shared_by_alice/missing.ics');
    expect(entries[1]!.missing.has('{DAV:}getetag')).toBe(true);
  });

  it('searches events with ncc:calendar-search, skipping trashed calendars', async () => {
    const search = (user: string, term: string) =>
      dav(
        user,
        'REPORT',
        `calendars/${user}/`,
        `<ncc:calendar-search xmlns:d="DAV:" xmlns:ncc="http://nextcloud.com/ns">
  <d:prop><d:getetag/></d:prop>
  <ncc:filter><ncc:comp-filter name="VEVENT"/><ncc:prop-filter name="SUMMARY"/><ncc:prop-filter name="LOCATION"/><ncc:search-term>${term}</ncc:search-term></ncc:filter>
  <ncc:limit>10</ncc:limit>
</ncc:calendar-search>`,
        { depth: '2' },
      );
    const bob = await search('bob', 'LAKESIDE');
    expect(bob.status).toBe(207);
    expect(parseMultistatus(await bob.text()).map((entry) => entry.href)).toEqual([
      '/remote.php/dav/calendars/bob/team_shared_by_alice/offsite.ics',
    ]);
    expect(parseMultistatus(await (await search('alice', 'retrospective')).text())).toHaveLength(0);
  });

  it('refuses writes in the read-only shared calendar and accepts them in bob’s own', async () => {
    const ics = [
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'PRODID:-//test//EN',
      'BEGIN:VEVENT',
      'UID:test-event-1',
      'DTSTAMP:20260101T000000Z',
      `DTSTART:${day(6)}`,
      `DTEND:${day(7)}`,
      'SUMMARY:Test',
      'END:VEVENT',
      'END:VCALENDAR',
      '',
    ].join('\r\n');
    const ro = await dav('bob', 'PUT', 'calendars/bob/team_shared_by_alice/test.ics', ics, {
      'content-type': 'text/calendar',
      'if-none-match': '*',
    });
    expect(ro.status).toBe(403);
    expect((await dav('bob', 'DELETE', 'calendars/bob/team_shared_by_alice/offsite.ics')).status).toBe(403);
    const own = await dav('bob', 'PUT', 'calendars/bob/personal/test.ics', ics, { 'content-type': 'text/calendar', 'if-none-match': '*' });
    expect(own.status).toBe(201);
    expect(
      (await dav('bob', 'PUT', 'calendars/bob/personal/test.ics', ics, { 'content-type': 'text/calendar', 'if-none-match': '*' })).status,
    ).toBe(412);
    expect((await dav('bob', 'DELETE', 'calendars/bob/personal/test.ics')).status).toBe(204);
    expect((await dav('bob', 'PROPFIND', 'calendars/alice/', '', { depth: '0' })).status).toBe(404);
  });
});

describe('internal search endpoints', () => {
  const search = async (user: string, kind: string, query: string) => {
    const response = await fetch(`${origin}/_sim/search/${kind}?${query}`, { headers: headers(user) });
    expect(response.status).toBe(200);
    return (await response.json()) as {
      entries: Array<{ title: string; subline: string; resourceUrl: string; attributes: Record<string, string> | [] }>;
      cursor: number | null;
      isPaginated: boolean;
    };
  };

  it('finds files including shared ones', async () => {
    const result = await search('bob', 'files', 'term=road&limit=5&cursor=0');
    expect(result.isPaginated).toBe(true);
    expect(result.cursor).toBe(5);
    // The COPY test above left bob a "Roadmap copy.md" in his root.
    expect(result.entries.map((entry) => entry.title).sort()).toEqual(['Roadmap copy.md', 'Roadmap.md']);
    const entry = result.entries.find((candidate) => candidate.title === 'Roadmap.md')!;
    expect(entry.title).toBe('Roadmap.md');
    expect(entry.subline).toBe('in Shared/Plans');
    expect(entry.attributes).toMatchObject({ path: '/Shared/Plans/Roadmap.md' });
    expect(entry.resourceUrl).toMatch(new RegExp(`^${publicUrl}/index\\.php/f/\\d+$`));
  });

  it('finds events in own and shared calendars but not deleted ones', async () => {
    const result = await search('bob', 'calendar', 'term=team&limit=5&cursor=0');
    expect(result.entries.map((entry) => entry.title)).toEqual(['Team offsite']);
    expect(result.entries[0]!.attributes).toEqual([]);
    expect(result.entries[0]!.resourceUrl).toContain(`${publicUrl}/index.php/apps/calendar/edit/`);
    const alice = await search('alice', 'calendar', 'term=retro&limit=5');
    expect(alice.entries).toHaveLength(0);
  });
});

describe('unsharing', () => {
  // Last on purpose: earlier tests rely on bob's mount.
  it('removes the mount for bob only when he deletes the share root', async () => {
    expect((await dav('bob', 'DELETE', 'files/bob/Shared/Plans')).status).toBe(204);
    expect((await dav('bob', 'PROPFIND', 'files/bob/Shared/Plans/', PROPS, { depth: '0' })).status).toBe(404);
    expect((await propfind('bob', 'files/bob/Shared/')).map((entry) => entry.href)).toEqual(['/remote.php/dav/files/bob/Shared/']);
    expect((await dav('alice', 'GET', 'files/alice/Plans/Roadmap.md')).status).toBe(200);
    expect((await propfind('alice', 'files/alice/Plans/', '0'))[0]!.props.get(`${OC}share-types`)).toBe('');
    expect(fs.readdirSync(path.join(dataDir, 'bob', 'trash'))).toEqual([]);
  });
});
