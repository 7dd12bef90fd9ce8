// The simulator's CardDAV (dav/lib/Card*.php, AddressBook*.php) against the contract (§1, §9): Nextcloud's paths,
// shared and system books, vCard version negotiation, ETags of the stored bytes, preconditions and refusals.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NS, child, children, parseMultistatus, text } from '../../lib/dav-xml.js';
import type { PhpBackend } from './php-backend.js';
import { startPhpBackend } from './php-backend.js';

const CARD = 'urn:ietf:params:xml:ns:carddav';
let dataDir = '';
let php: PhpBackend | undefined;

function dav(user: string, method: string, davPath: string, body?: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${php!.origin}/remote.php/dav/${davPath}`, {
    method,
    headers: { 'x-sim-user': user, 'x-sim-token': php!.token, 'content-type': 'application/xml', ...headers },
    body,
  });
}

const md5 = (data: string) => `"${crypto.createHash('md5').update(data).digest('hex')}"`;

const card = (uid: string, fn: string) => `BEGIN:VCARD\r\nVERSION:4.0\r\nUID:${uid}\r\nFN:${fn}\r\nEND:VCARD\r\n`;

const query = (match: string, version = '', limit = '') =>
  `<card:addressbook-query xmlns:d="DAV:" xmlns:card="${CARD}"><d:prop><d:getetag/><card:address-data content-type="text/vcard"${version ? ` version="${version}"` : ''}/></d:prop>` +
  `<card:filter test="anyof"><card:prop-filter name="FN"><card:text-match collation="i;unicode-casemap" match-type="contains">${match}</card:text-match></card:prop-filter>` +
  `<card:prop-filter name="ORG"><card:text-match collation="i;unicode-casemap" match-type="contains">${match}</card:text-match></card:prop-filter></card:filter>` +
  `${limit ? `<card:limit><card:nresults>${limit}</card:nresults></card:limit>` : ''}</card:addressbook-query>`;

async function multistatus(response: Response) {
  expect(response.status).toBe(207);
  return parseMultistatus(await response.text());
}

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'contacts-sim-test-'));
  php = await startPhpBackend(dataDir);
}, 30_000);

afterAll(async () => {
  await php?.stop();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('address-book homes', () => {
  it('points addressbook-home-set at addressbooks/users/{uid}/', async () => {
    const body = `<d:propfind xmlns:d="DAV:" xmlns:card="${CARD}"><d:prop><card:addressbook-home-set/></d:prop></d:propfind>`;
    const [entry] = await multistatus(await dav('alice', 'PROPFIND', 'principals/users/alice', body, { depth: '0' }));
    expect(text(child(child(entry!.props, CARD, 'addressbook-home-set'), NS.dav, 'href'))).toBe(
      '/remote.php/dav/addressbooks/users/alice/',
    );
  });

  it("lists bob's own book, alice's read-only share and the system book; alice's home is not bob's to see", async () => {
    const body = `<d:propfind xmlns:d="DAV:" xmlns:oc="${NS.oc}"><d:prop><d:displayname/><d:resourcetype/><d:current-user-privilege-set/><oc:owner-principal/><oc:read-only/></d:prop></d:propfind>`;
    const entries = await multistatus(await dav('bob', 'PROPFIND', 'addressbooks/users/bob/', body, { depth: '1' }));
    const books = entries.filter((entry) => child(child(entry.props, NS.dav, 'resourcetype'), CARD, 'addressbook'));
    expect(books.map((entry) => entry.href)).toEqual([
      '/remote.php/dav/addressbooks/users/bob/contacts/',
      '/remote.php/dav/addressbooks/users/bob/team_shared_by_alice/',
      '/remote.php/dav/addressbooks/users/bob/z-server-generated--system/',
    ]);
    const shared = books[1]!.props;
    expect(text(child(shared, NS.dav, 'displayname'))).toBe('Team (Alice Liddell)');
    expect(text(child(shared, NS.oc, 'owner-principal'))).toBe('principals/users/alice');
    expect(text(child(shared, NS.oc, 'read-only'))).toBe('1');
    const privileges = (props: typeof shared) =>
      children(child(props, NS.dav, 'current-user-privilege-set'), NS.dav, 'privilege').flatMap((p) => Object.keys(p.children));
    expect(privileges(shared)).toContain('{DAV:}read');
    expect(privileges(shared)).not.toContain('{DAV:}write');
    expect(privileges(books[2]!.props)).not.toContain('{DAV:}write');
    expect(privileges(books[0]!.props)).toContain('{DAV:}write');
    expect((await dav('bob', 'PROPFIND', 'addressbooks/users/alice/', body, { depth: '1' })).status).toBe(404);
    expect((await dav('bob', 'GET', 'addressbooks/users/alice/contacts/white-rabbit.vcf')).status).toBe(404);
  });
});

describe('reading cards', () => {
  it('converts to vCard 3.0 unless 4.0 is asked for; the ETag is of the stored bytes either way', async () => {
    const plain = await dav('alice', 'GET', 'addressbooks/users/alice/contacts/white-rabbit.vcf');
    expect(plain.status).toBe(200);
    expect(plain.headers.get('content-type')).toBe('text/vcard; charset=utf-8');
    const three = await plain.text();
    expect(three).toMatch(/^BEGIN:VCARD\r\nVERSION:3\.0\r\n/);
    const asked = await dav('alice', 'GET', 'addressbooks/users/alice/contacts/white-rabbit.vcf', undefined, {
      accept: 'text/vcard; version=4.0',
    });
    const four = await asked.text();
    expect(four).toMatch(/^BEGIN:VCARD\r\nVERSION:4\.0\r\n/);
    expect(four).toContain('X-FAVOURITE-FOOD:Carrots');
    // The seed stored 4.0, so the ETag is the md5 of what a 4.0 request returns.
    expect(asked.headers.get('etag')).toBe(md5(four));
    expect(plain.headers.get('etag')).toBe(md5(four));
  });

  it('answers addressbook-query with contains / i;unicode-casemap, nresults and the asked version', async () => {
    const entries = await multistatus(
      await dav('alice', 'REPORT', 'addressbooks/users/alice/contacts/', query('COURT', '4.0'), { depth: '1' }),
    );
    expect(entries.map((entry) => entry.href.split('/').at(-1)).sort()).toEqual(['queen-of-hearts.vcf', 'white-rabbit.vcf']);
    expect(text(child(entries[0]!.props, CARD, 'address-data'))).toContain('VERSION:4.0');
    const limited = await multistatus(
      await dav('alice', 'REPORT', 'addressbooks/users/alice/contacts/', query('court', '', '1'), { depth: '1' }),
    );
    expect(limited).toHaveLength(1);
    expect(text(child(limited[0]!.props, CARD, 'address-data'))).toContain('VERSION:3.0');
  });

  it('refuses addressbook-query at Depth 0 on a book with 415', async () => {
    const response = await dav('alice', 'REPORT', 'addressbooks/users/alice/contacts/', query('a'), { depth: '0' });
    expect(response.status).toBe(415);
    expect(await response.text()).toContain('supported-report');
  });

  it('answers addressbook-multiget', async () => {
    const body = `<card:addressbook-multiget xmlns:d="DAV:" xmlns:card="${CARD}"><d:prop><d:getetag/><card:address-data version="4.0"/></d:prop><d:href>/remote.php/dav/addressbooks/users/alice/contacts/mad-hatter.vcf</d:href></card:addressbook-multiget>`;
    const [entry] = await multistatus(await dav('alice', 'REPORT', 'addressbooks/users/alice/contacts/', body, { depth: '1' }));
    expect(text(child(entry!.props, CARD, 'address-data'))).toMatch(/VERSION:4\.0[\s\S]*X-SOCIALPROFILE/);
  });

  it('serves the system book read-only with cards named Database:{uid}.vcf', async () => {
    const response = await dav('bob', 'GET', 'addressbooks/users/bob/z-server-generated--system/Database:alice.vcf');
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('FN:Alice Liddell');
    const put = await dav('bob', 'PUT', 'addressbooks/users/bob/z-server-generated--system/new.vcf', card('sys-1', 'Nobody'), {
      'content-type': 'text/vcard',
    });
    expect(put.status).toBe(403);
  });
});

describe('writing cards', () => {
  const base = 'addressbooks/users/alice/contacts/';
  const vcard = { 'content-type': 'text/vcard; charset=utf-8' };

  it('creates with If-None-Match: * (201, ETag of the body) and refuses a second one (412)', async () => {
    const body = card('sim-test-new', 'New Person');
    const created = await dav('alice', 'PUT', `${base}new-person.vcf`, body, { ...vcard, 'if-none-match': '*' });
    expect(created.status).toBe(201);
    expect(created.headers.get('etag')).toBe(md5(body));
    const again = await dav('alice', 'PUT', `${base}new-person.vcf`, body, { ...vcard, 'if-none-match': '*' });
    expect(again.status).toBe(412);
  });

  it('updates with If-Match (204) and refuses a stale ETag (412)', async () => {
    const body = card('sim-test-update', 'Before');
    const created = await dav('alice', 'PUT', `${base}update-me.vcf`, body, vcard);
    const etag = created.headers.get('etag')!;
    const updated = await dav('alice', 'PUT', `${base}update-me.vcf`, card('sim-test-update', 'After'), { ...vcard, 'if-match': etag });
    expect(updated.status).toBe(204);
    const stale = await dav('alice', 'PUT', `${base}update-me.vcf`, card('sim-test-update', 'Again'), { ...vcard, 'if-match': etag });
    expect(stale.status).toBe(412);
    expect((await dav('alice', 'DELETE', `${base}update-me.vcf`, undefined, { 'if-match': etag })).status).toBe(412);
  });

  it("refuses a UID already in the book with 400 and Nextcloud's message", async () => {
    const response = await dav('alice', 'PUT', `${base}twin.vcf`, card('sim-contact-mad-hatter', 'Twin'), vcard);
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('VCard object with uid already exists in this addressbook collection.');
  });

  it('adds a missing UID and then returns no ETag', async () => {
    const response = await dav('alice', 'PUT', `${base}no-uid.vcf`, 'BEGIN:VCARD\r\nVERSION:4.0\r\nFN:No Uid\r\nEND:VCARD\r\n', vcard);
    expect(response.status).toBe(201);
    expect(response.headers.get('etag')).toBeNull();
    expect(await (await dav('alice', 'GET', `${base}no-uid.vcf`)).text()).toMatch(/UID:/);
  });

  it('refuses PUT and DELETE in a book shared read-only (403) and leaves the card alone', async () => {
    const shared = 'addressbooks/users/bob/team_shared_by_alice/caterpillar.vcf';
    const read = await dav('bob', 'GET', shared);
    expect(read.status).toBe(200);
    const put = await dav('bob', 'PUT', shared, card('sim-contact-caterpillar', 'Butterfly'), vcard);
    expect(put.status).toBe(403);
    expect(await put.text()).toContain('need-privileges');
    expect((await dav('bob', 'DELETE', shared)).status).toBe(403);
    expect((await dav('bob', 'PUT', 'addressbooks/users/bob/team_shared_by_alice/new.vcf', card('x-new', 'X'), vcard)).status).toBe(403);
    expect(await (await dav('alice', 'GET', 'addressbooks/users/alice/team/caterpillar.vcf')).text()).toContain('FN:Caterpillar');
  });
});
