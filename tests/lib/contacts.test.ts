// ContactsClient against the simulator as alice and bob: address books with their rights, search, reading either
// vCard version, creating, updating without losing what other clients stored, ETag races and bad answers.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContactsClient } from '../../lib/contacts.js';
import { contactsClient } from '../../lib/contacts.js';
import type { HttpClient } from '../../lib/http.js';
import { createHttpClient } from '../../lib/http.js';
import { InvalidArgumentError } from '../../lib/index.js';
import type { LibFixture } from '../support/lib-fixture.js';
import { failure, startLibFixture } from '../support/lib-fixture.js';

let fixture: LibFixture;
let alice: ContactsClient;
let bob: ContactsClient;

const HOME = '/remote.php/dav/addressbooks/users/alice/contacts/';

/** A raw HTTP client as alice, for writing and reading cards the way other clients do. */
function raw(fetchImpl?: typeof fetch): HttpClient {
  return createHttpClient(
    { baseUrl: fixture.sim.url, appId: 'mcp_gateway', appVersion: '0.1.0', appSecret: fixture.secret, timeoutMs: 10_000, fetch: fetchImpl },
    'alice',
  );
}

async function stored(name: string): Promise<string> {
  // Accept 4.0: the simulator stores as sent and only rewrites VERSION for 3.0.
  const response = await raw().request('GET', `${HOME}${name}`, { headers: { Accept: 'text/vcard; version=4.0' } });
  return response.text();
}

beforeAll(async () => {
  fixture = await startLibFixture({ dav: true });
  alice = fixture.nextcloud.as('alice').contacts;
  bob = fixture.nextcloud.as('bob').contacts;
}, 30_000);
afterAll(() => fixture?.sim.stop());

describe('address books', () => {
  it("lists alice's own books as writable and the system book as read-only", async () => {
    const books = await alice.addressBooks();
    expect(books.map((book) => [book.uri, book.kind, book.writable, book.owner])).toEqual([
      ['contacts', 'own', true, 'alice'],
      ['team', 'own', true, 'alice'],
      ['z-server-generated--system', 'system', false, null],
    ]);
    expect(books[0]!.ownerDisplayName).toBe('Alice Liddell');
  });

  it("shows bob alice's shared book read-only, owned by alice", async () => {
    const shared = (await bob.addressBooks()).find((book) => book.uri === 'team_shared_by_alice');
    expect(shared).toMatchObject({ kind: 'shared', writable: false, owner: 'alice', displayName: 'Team (Alice Liddell)' });
  });
});

describe('search', () => {
  it('matches name, email, phone and organisation, case-insensitively', async () => {
    const names = async (query: string) => (await alice.search(query)).contacts.map((contact) => contact.fullName).sort();
    expect(await names('RABBIT')).toEqual(['White Rabbit']);
    expect(await names('teaparty.example')).toEqual(['Mad Hatter']);
    expect(await names('7946 0003')).toEqual(['Queen of Hearts']);
    expect(await names('royal court')).toEqual(['Queen of Hearts', 'White Rabbit']);
    expect(await names('mushroom')).toEqual(['Caterpillar']);
  });

  it('leaves the system book out unless asked', async () => {
    expect((await alice.search('Builder')).contacts).toEqual([]);
    const found = await alice.search('Builder', { includeSystem: true });
    expect(found.contacts.map((contact) => [contact.addressBook, contact.name])).toEqual([
      ['z-server-generated--system', 'Database:bob.vcf'],
    ]);
  });

  it('stops at the limit and says more match', async () => {
    const result = await alice.search('a', { addressBook: 'contacts', limit: 2 });
    expect(result.contacts).toHaveLength(2);
    expect(result.truncated).toBe(true);
    expect((await alice.search('Hatter', { limit: 2 })).truncated).toBe(false);
  });

  it("gives bob the shared book's contacts and nothing else of alice's", async () => {
    expect((await bob.search('Caterpillar')).contacts.map((c) => c.addressBook)).toEqual(['team_shared_by_alice']);
    expect((await bob.search('Rabbit')).contacts).toEqual([]);
    expect((await failure(bob.search('Rabbit', { addressBook: 'contacts_shared_by_alice' }))).code).toBe('not_found');
  });
});

describe('reading', () => {
  it('reads a 3.0 card as 4.0 with its fields and ETag', async () => {
    const hatter = await alice.get('contacts', 'mad-hatter.vcf');
    expect(hatter).toMatchObject({
      version: '4.0',
      uid: 'sim-contact-mad-hatter',
      fullName: 'Mad Hatter',
      givenName: 'Mad',
      familyName: 'Hatter',
      emails: [{ value: 'hatter@teaparty.example', types: [] }],
      phones: [{ value: '+44 20 7946 0002', types: ['work', 'voice'] }],
      organization: 'Tea Party Ltd',
      note: "Always six o'clock.",
      otherProperties: ['X-SOCIALPROFILE'],
    });
    expect(hatter.etag).toMatch(/^"[0-9a-f]{32}"$/);
  });

  it('refuses names that would leave the address-book home', async () => {
    await expect(alice.get('..', 'x.vcf')).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(alice.get('contacts', '../team/caterpillar.vcf')).rejects.toBeInstanceOf(InvalidArgumentError);
    expect((await failure(alice.get('contacts', 'nobody.vcf'))).code).toBe('not_found');
  });
});

describe('writing', () => {
  it('keeps a vCard 3.0 card in 3.0 when it changes, as the Contacts app does, though it reads as 4.0', async () => {
    const asThree = async () => {
      const response = await raw().request('GET', `${HOME}mad-hatter.vcf`, { headers: { Accept: 'text/vcard; version=3.0' } });
      return { text: await response.text(), etag: response.headers.get('etag')! };
    };
    const before = await asThree();
    expect(before.text).toContain('VERSION:3.0');
    expect((await alice.get('contacts', 'mad-hatter.vcf')).version).toBe('4.0');
    await alice.update('contacts', 'mad-hatter.vcf', {
      note: 'Always tea time.',
      emails: [{ value: 'hatter@teaparty.example', types: ['work'] }],
    });
    const after = await asThree();
    // Stored as sent: the 3.0 text is the stored bytes (ETag = their MD5), in 3.0's own spelling.
    expect(after.etag).toBe(`"${createHash('md5').update(after.text).digest('hex')}"`);
    expect(after.text).toContain('VERSION:3.0');
    expect(after.text).toContain('NOTE:Always tea time.');
    expect(after.text).toContain('EMAIL;TYPE=WORK:hatter@teaparty.example');
    expect(after.text).toContain('X-SOCIALPROFILE;TYPE=mastodon:https://social.example/@hatter');
  });

  it('creates a vCard 4.0 with a new UID and returns the stored ETag', async () => {
    const created = await alice.create('contacts', {
      fullName: 'Dodo Bird',
      givenName: 'Dodo',
      familyName: 'Bird',
      emails: [{ value: 'dodo@race.example', types: ['home'] }],
      phones: [{ value: '+44 20 7946 0099', types: ['cell'] }],
      organization: 'Caucus Race; Committee',
    });
    expect(created.name).toBe(`${created.uid}.vcf`);
    const text = await stored(created.name);
    expect(text).toMatch(/^BEGIN:VCARD\r\nVERSION:4\.0\r\nPRODID:/);
    expect(text).toContain('ORG:Caucus Race\\; Committee\r\n');
    expect(text).toContain('EMAIL;TYPE=home:dodo@race.example\r\n');
    expect((await alice.get('contacts', created.name)).etag).toBe(created.etag);
    expect(created.organization).toBe('Caucus Race; Committee');
  });

  it('folds long lines without splitting characters and reads escaped text back unchanged', async () => {
    const note = `Größe, Maß; and\nnew lines: ${'ü'.repeat(60)} ${'x'.repeat(80)}`;
    const created = await alice.create('contacts', { fullName: 'Pat the Gardener', note, categories: ['Garden, roses', 'Staff'] });
    const text = await stored(created.name);
    for (const line of text.split('\r\n')) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(75);
    const read = await alice.get('contacts', created.name);
    expect(read.note).toBe(note);
    expect(read.categories).toEqual(['Garden, roses', 'Staff']);
  });

  it('keeps every property it does not change as it was written', async () => {
    const original = [
      'BEGIN:VCARD',
      'VERSION:4.0',
      'UID:round-trip-1',
      'FN:Mock Turtle',
      'N:Turtle;Mock;;;',
      'item1.EMAIL;TYPE=work:turtle@sea.example',
      'item1.X-ABLABEL:Sea school',
      'TEL;TYPE="cell,voice";PREF=1:+44 20 7946 0100',
      'ADR;TYPE=home:;;1 Beach Road;Seaside;;SS1 1AA;UK',
      'X-CUSTOM;X-PARAM=keep:Value with\\, escapes\\; and: colons',
      'NOTE:A long note that is folded over more than one line because it is longer than seventy-five',
      '  octets in total.',
      'CATEGORIES:Sea,School',
      'REV:20200101T000000Z',
      'END:VCARD',
      '',
    ].join('\r\n');
    await raw().request('PUT', `${HOME}round-trip.vcf`, { headers: { 'Content-Type': 'text/vcard; charset=utf-8' }, body: original });
    const before = await alice.get('contacts', 'round-trip.vcf');
    const updated = await alice.update(
      'contacts',
      'round-trip.vcf',
      { phones: [{ value: '+44 20 7946 0200', types: ['work'] }], title: 'Teacher' },
      {
        etag: before.etag!,
      },
    );
    expect(updated.etag).not.toBe(before.etag);
    const after = await stored('round-trip.vcf');
    const unchanged = (text: string) => text.split('\r\n').filter((line) => !/^(TEL|TITLE|REV)[;:]/.test(line));
    expect(unchanged(after)).toEqual(unchanged(original));
    expect(after).toContain('TEL;TYPE=work:+44 20 7946 0200\r\n');
    expect(after).toContain('TITLE:Teacher\r\n');
    expect(after).not.toContain('REV:20200101T000000Z');
    // The changed property keeps its place.
    expect(after.indexOf('TEL;')).toBeLessThan(after.indexOf('ADR;'));
  });

  it('refuses an update from a stale ETag without writing', async () => {
    const created = await alice.create('contacts', { fullName: 'March Hare' });
    await alice.update('contacts', created.name, { note: 'First change' });
    const error = await failure(alice.update('contacts', created.name, { note: 'Lost change' }, { etag: created.etag! }));
    expect(error.code).toBe('precondition_failed');
    expect((await alice.get('contacts', created.name)).note).toBe('First change');
  });

  it('loses no change made between its read and its write (If-Match)', async () => {
    const created = await alice.create('contacts', { fullName: 'Dormouse' });
    let raced = false;
    // Another client writes after the update read the card and before its PUT arrives.
    const racing: typeof fetch = async (input, init) => {
      if (init?.method === 'PUT' && !raced) {
        raced = true;
        const current = await stored(created.name);
        await raw().request('PUT', `${HOME}${created.name}`, {
          headers: { 'Content-Type': 'text/vcard; charset=utf-8' },
          body: current.replace('FN:Dormouse', 'FN:Sleepy Dormouse'),
        });
      }
      return fetch(input, init);
    };
    const client = contactsClient(raw(racing));
    expect((await failure(client.update('contacts', created.name, { fullName: 'Awake Dormouse' }))).code).toBe('precondition_failed');
    expect((await alice.get('contacts', created.name)).fullName).toBe('Sleepy Dormouse');
  });

  it("reports a UID that is already in the book with Nextcloud's words", async () => {
    await raw().request('PUT', `${HOME}dup-source.vcf`, {
      headers: { 'Content-Type': 'text/vcard' },
      body: 'BEGIN:VCARD\r\nVERSION:4.0\r\nUID:dup-uid\r\nFN:One\r\nEND:VCARD\r\n',
    });
    const error = await failure(
      raw().request('PUT', `${HOME}dup-copy.vcf`, {
        headers: { 'Content-Type': 'text/vcard' },
        body: 'BEGIN:VCARD\r\nVERSION:4.0\r\nUID:dup-uid\r\nFN:Two\r\nEND:VCARD\r\n',
      }),
    );
    expect(error.code).toBe('bad_request');
    expect(error.remoteMessage).toBe('VCard object with uid already exists in this addressbook collection.');
  });

  it('refuses bob writing into the read-only shared book, saying why', async () => {
    const error = await failure(bob.update('team_shared_by_alice', 'caterpillar.vcf', { note: 'Who are you?' }));
    expect(error.code).toBe('forbidden');
    expect(error.message).toContain('read-only');
    expect((await failure(bob.delete('team_shared_by_alice', 'caterpillar.vcf'))).code).toBe('forbidden');
    expect((await failure(bob.create('z-server-generated--system', { fullName: 'Intruder' }))).code).toBe('forbidden');
  });

  it('deletes, honouring an ETag', async () => {
    const created = await alice.create('contacts', { fullName: 'Bill the Lizard' });
    const changed = await alice.update('contacts', created.name, { nickname: 'Bill' });
    expect((await failure(alice.delete('contacts', created.name, { etag: created.etag! }))).code).toBe('precondition_failed');
    await alice.delete('contacts', created.name, { etag: changed.etag! });
    expect((await failure(alice.get('contacts', created.name))).code).toBe('not_found');
  });
});

describe('bad answers', () => {
  const faking = (body: string, type: string, status = 200): typeof fetch =>
    (async () => new Response(body, { status, headers: { 'Content-Type': type } })) as typeof fetch;

  it('reports a login page instead of a card as a protocol error', async () => {
    const client = contactsClient(raw(faking('<html>Login</html>', 'text/html')));
    expect((await failure(client.get('contacts', 'white-rabbit.vcf'))).code).toBe('protocol');
  });

  it('reports a body that is not a vCard as a protocol error', async () => {
    const client = contactsClient(raw(faking('BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n', 'text/vcard')));
    const error = await failure(client.get('contacts', 'white-rabbit.vcf'));
    expect(error.code).toBe('protocol');
    expect(error.message).toContain('not a vCard');
  });

  it('reports a listing that is no multistatus as a protocol error, not as no address books', async () => {
    const client = contactsClient(raw(faking('<html></html>', 'text/html')));
    expect((await failure(client.addressBooks())).code).toBe('protocol');
    expect((await failure(client.search('a', { addressBook: 'contacts' }))).code).toBe('protocol');
  });

  it('reports a search answer with a card outside the book as a protocol error', async () => {
    const multistatus = `<?xml version="1.0"?><d:multistatus xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav"><d:response><d:href>/remote.php/dav/addressbooks/users/bob/contacts/x.vcf</d:href><d:propstat><d:prop><card:address-data>BEGIN:VCARD&#13;
VERSION:4.0&#13;
FN:X&#13;
END:VCARD&#13;
</card:address-data></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response></d:multistatus>`;
    const client = contactsClient(raw(faking(multistatus, 'application/xml', 207)));
    expect((await failure(client.search('x', { addressBook: 'contacts' }))).code).toBe('protocol');
  });
});

describe('hrefs as a real Nextcloud writes them', () => {
  // Nextcloud under /nextcloud, a user id with an @ (LDAP, email logins): Sabre leaves the @ as it is and puts the
  // base path in front of every href; the paths the client asks for are encoded its own way.
  const answering = (hrefs: { home: string; card: string }): typeof fetch =>
    (async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = new URL(String(input instanceof Request ? input.url : input));
      expect(url.pathname.startsWith('/nextcloud/remote.php/dav/addressbooks/users/jane%40example.com/')).toBe(true);
      const body =
        init?.method === 'PROPFIND'
          ? `<?xml version="1.0"?><d:multistatus xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav" xmlns:oc="http://owncloud.org/ns"><d:response><d:href>${hrefs.home}contacts/</d:href><d:propstat><d:prop><d:resourcetype><d:collection/><card:addressbook/></d:resourcetype><d:displayname>Contacts</d:displayname><oc:owner-principal>principals/users/jane%40example.com</oc:owner-principal><d:current-user-privilege-set><d:privilege><d:write/></d:privilege></d:current-user-privilege-set></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response></d:multistatus>`
          : `<?xml version="1.0"?><d:multistatus xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav"><d:response><d:href>${hrefs.card}</d:href><d:propstat><d:prop><d:getetag>"1"</d:getetag><card:address-data>BEGIN:VCARD&#13;
VERSION:4.0&#13;
UID:x&#13;
FN:Ada Lovelace&#13;
END:VCARD&#13;
</card:address-data></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response></d:multistatus>`;
      return new Response(body, { status: 207, headers: { 'Content-Type': 'application/xml; charset=utf-8' } });
    }) as typeof fetch;
  const client = (fetchImpl: typeof fetch) =>
    contactsClient(
      createHttpClient(
        {
          baseUrl: 'https://cloud.example/nextcloud',
          appId: 'mcp_gateway',
          appVersion: '0.1.0',
          appSecret: 'x'.repeat(32),
          fetch: fetchImpl,
        },
        'jane@example.com',
      ),
    );

  it('finds contacts and the own address book under a base path, whatever the encoding of the user id', async () => {
    for (const home of [
      '/nextcloud/remote.php/dav/addressbooks/users/jane@example.com/',
      '/nextcloud/remote.php/dav/addressbooks/users/jane%40example.com/',
    ]) {
      const jane = client(answering({ home, card: `${home}contacts/ada%20l.vcf` }));
      expect(await jane.addressBooks()).toMatchObject([{ uri: 'contacts', kind: 'own', owner: 'jane@example.com', writable: true }]);
      const found = await jane.search('ada', { addressBook: 'contacts' });
      expect(found.contacts).toMatchObject([{ addressBook: 'contacts', name: 'ada l.vcf', fullName: 'Ada Lovelace' }]);
    }
  });

  it('still refuses a card outside the book, however it is encoded', async () => {
    const jane = client(
      answering({
        home: '/nextcloud/remote.php/dav/addressbooks/users/jane@example.com/',
        card: '/nextcloud/remote.php/dav/addressbooks/users/jane@example.com/other/x.vcf',
      }),
    );
    expect((await failure(jane.search('ada', { addressBook: 'contacts' }))).code).toBe('protocol');
  });
});
