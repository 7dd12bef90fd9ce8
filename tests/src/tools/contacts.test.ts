// The contacts tools as simulator users: alice in her own books, bob with alice's book shared read-only, the
// system book only on request, updates that keep what they do not change, stale etags, and the delete plan.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Nextcloud } from '../../../lib/index.js';
import { DEFAULT_POLICY } from '../../../src/policy/policy.js';
import {
  contactsTools,
  createContact,
  deleteContact,
  getContact,
  listAddressBooks,
  searchContacts,
  updateContact,
} from '../../../src/tools/contacts/index.js';
import type { ToolContext } from '../../../src/tools/tool.js';
import { isWriteTool } from '../../../src/tools/tool.js';
import { startLibFixture } from '../../support/lib-fixture.js';
import type { LibFixture } from '../../support/lib-fixture.js';
import type { ToolHarness } from '../../support/tool-harness.js';
import { toolHarness } from '../../support/tool-harness.js';

let fixture: LibFixture;
let nextcloud: Nextcloud;
let tools: ToolHarness;

type Contact = { id: string; fullName: string; etag?: string; emails: Array<{ value: string; types: string[] }>; [key: string]: unknown };

beforeAll(async () => {
  fixture = await startLibFixture({ dav: true });
  nextcloud = fixture.nextcloud;
  tools = toolHarness(nextcloud, 'https://cloud.example.com');
}, 30_000);
afterAll(() => fixture?.sim.stop());

function contextFor(userId: string): ToolContext {
  return {
    user: nextcloud.as(userId),
    userId,
    clientId: 'test-client',
    scopes: ['contacts.read', 'contacts.write'],
    policy: DEFAULT_POLICY,
    webRoot: 'https://cloud.example.com',
    signal: new AbortController().signal,
    progress: async () => undefined,
    audit: () => undefined,
  };
}

describe('declarations', () => {
  it('reads with contacts.read, writes with contacts.write, and allows no null in any output', () => {
    expect(contactsTools.map((tool) => [tool.name, isWriteTool(tool)])).toEqual([
      ['contacts_list_address_books', false],
      ['contacts_search', false],
      ['contacts_get', false],
      ['contacts_create', true],
      ['contacts_update', true],
      ['contacts_delete', true],
    ]);
    for (const tool of contactsTools) {
      expect(JSON.stringify(z.toJSONSchema(tool.output, { target: 'draft-7', io: 'output' }))).not.toContain('"null"');
    }
    expect(deleteContact.plan).toBeTypeOf('function');
  });
});

describe('as alice', () => {
  it('lists her books with their rights', async () => {
    const call = await tools.call(listAddressBooks, {});
    expect(call.isError).toBe(false);
    expect(call.structured!.addressBooks).toEqual([
      { id: 'contacts', displayName: 'Contacts', kind: 'own', writable: true, owner: 'alice', ownerDisplayName: 'Alice Liddell' },
      { id: 'team', displayName: 'Team', kind: 'own', writable: true, owner: 'alice', ownerDisplayName: 'Alice Liddell' },
      {
        id: 'z-server-generated--system',
        displayName: 'Accounts',
        description: 'System address book which holds all accounts',
        kind: 'system',
        writable: false,
      },
    ]);
  });

  it('searches her books, and the system book only when asked', async () => {
    const rabbit = await tools.call(searchContacts, { query: 'late@wonderland' });
    const [found] = rabbit.structured!.contacts as Contact[];
    expect(found).toMatchObject({ id: 'contacts/white-rabbit.vcf', fullName: 'White Rabbit', organization: 'Royal Court, Heralds' });
    expect(found!.otherProperties).toEqual(['X-FAVOURITE-FOOD']);
    expect(((await tools.call(searchContacts, { query: 'Danvers' })).structured!.contacts as Contact[]).length).toBe(0);
    const colleagues = await tools.call(searchContacts, { query: 'Danvers', includeSystem: true });
    expect((colleagues.structured!.contacts as Contact[]).map((c) => c.id)).toEqual(['z-server-generated--system/Database:carol.vcf']);
    const inTeam = await tools.call(searchContacts, { query: 'a', addressBook: 'Team' });
    expect((inTeam.structured!.contacts as Contact[]).map((c) => c.id)).toEqual(['team/caterpillar.vcf']);
  });

  it('creates, reads, updates only the given fields, and refuses a stale etag', async () => {
    const created = await tools.call(createContact, {
      fullName: 'Gryphon',
      emails: ['gryphon@sea.example'],
      phones: [{ value: '+44 20 7946 0300', types: ['cell'] }],
      organization: 'Sea School',
    });
    expect(created.isError).toBe(false);
    const contact = created.structured as Contact;
    expect(contact.id).toMatch(/^contacts\/[0-9a-f-]{36}\.vcf$/);
    const read = (await tools.call(getContact, { id: contact.id })).structured as Contact;
    expect(read.etag).toBe(contact.etag);

    const updated = await tools.call(updateContact, { id: contact.id, etag: contact.etag, title: 'Headmaster', phones: null });
    expect(updated.isError).toBe(false);
    expect(updated.structured).toMatchObject({ fullName: 'Gryphon', title: 'Headmaster', phones: [], organization: 'Sea School' });
    expect((updated.structured as Contact).emails).toEqual([{ value: 'gryphon@sea.example', types: [] }]);

    const stale = await tools.call(updateContact, { id: contact.id, etag: contact.etag, title: 'Janitor' });
    expect(stale.isError).toBe(true);
    expect(stale.text).toContain('changed since you read it');
    expect(stale.text).toContain('contacts_get');
    expect(((await tools.call(getContact, { id: contact.id })).structured as Contact).title).toBe('Headmaster');
  });

  it('keeps X- properties when updating a seeded contact', async () => {
    const updated = await tools.call(updateContact, { id: 'contacts/queen-of-hearts.vcf', note: 'Off with their heads!' });
    expect(updated.isError).toBe(false);
    expect(updated.structured).toMatchObject({ note: 'Off with their heads!', otherProperties: ['X-CROQUET-HANDICAP'] });
  });

  it('refuses ids that leave the address-book home, and names unknown books and contacts', async () => {
    for (const id of ['../bob/contacts/wendy.vcf', 'contacts/../team/caterpillar.vcf', 'contacts', '/contacts/x.vcf']) {
      const call = await tools.call(getContact, { id });
      expect(call.isError, id).toBe(true);
    }
    const unknownBook = await tools.call(getContact, { id: 'nope/x.vcf' });
    expect(unknownBook.text).toContain("has no address book 'nope'");
    const unknownCard = await tools.call(getContact, { id: 'contacts/nobody.vcf' });
    expect(unknownCard.text).toContain("contact 'contacts/nobody.vcf' does not exist");
  });

  it('refuses to write into the system book before sending anything', async () => {
    const call = await tools.call(createContact, { addressBook: 'z-server-generated--system', fullName: 'Nobody' });
    expect(call.isError).toBe(true);
    expect(call.text).toContain('system address book');
  });

  it('plans a delete by naming the contact and saying it cannot be undone, then deletes it', async () => {
    const created = (await tools.call(createContact, { fullName: 'Lory Parrot' })).structured as Contact;
    const plan = await deleteContact.plan!({ id: created.id }, contextFor('alice'));
    expect(plan).toContain('"Lory Parrot"');
    expect(plan).toContain('no trash bin');
    expect(plan).toContain('cannot be undone');
    const deleted = await tools.call(deleteContact, { id: created.id, etag: created.etag });
    expect(deleted.structured).toEqual({ deleted: true, id: created.id, fullName: 'Lory Parrot', addressBook: 'contacts' });
    expect((await tools.call(getContact, { id: created.id })).isError).toBe(true);
  });

  it('deletes only the version it read: a change landing in between stops the delete, even without an etag', async () => {
    const created = (await tools.call(createContact, { fullName: 'Mock Turtle' })).structured as Contact;
    const [book, name] = created.id.split('/') as [string, string];
    const hold = fixture.sim.holdRequests((method, path) => method === 'DELETE' && path.endsWith(`/${name}`));
    const deleting = tools.call(deleteContact, { id: created.id });
    await hold.reached();
    await nextcloud.as('alice').contacts.update(book, name, { note: 'Sings about soup.' });
    hold.release();
    const refused = await deleting;
    expect(refused.isError).toBe(true);
    expect(refused.text).toMatch(/changed since/);
    expect((await tools.call(getContact, { id: created.id })).structured).toMatchObject({
      fullName: 'Mock Turtle',
      note: 'Sings about soup.',
    });
    await tools.call(deleteContact, { id: created.id });
  });
});

describe('as bob', () => {
  it("sees alice's shared book read-only and its contacts", async () => {
    const books = (await tools.call(listAddressBooks, {}, { user: 'bob' })).structured!.addressBooks as Array<Record<string, unknown>>;
    expect(books.find((book) => book.id === 'team_shared_by_alice')).toEqual({
      id: 'team_shared_by_alice',
      displayName: 'Team (Alice Liddell)',
      kind: 'shared',
      writable: false,
      owner: 'alice',
      ownerDisplayName: 'Alice Liddell',
    });
    const found = await tools.call(searchContacts, { query: 'caterpillar' }, { user: 'bob' });
    expect((found.structured!.contacts as Contact[]).map((c) => c.id)).toEqual(['team_shared_by_alice/caterpillar.vcf']);
    expect((await tools.call(getContact, { id: 'team_shared_by_alice/caterpillar.vcf' }, { user: 'bob' })).isError).toBe(false);
  });

  it("cannot write to alice's shared book, and is told so before anything is sent", async () => {
    const update = await tools.call(updateContact, { id: 'team_shared_by_alice/caterpillar.vcf', note: 'Who are YOU?' }, { user: 'bob' });
    expect(update.isError).toBe(true);
    expect(update.text).toContain('shared with bob read-only by alice');
    const create = await tools.call(createContact, { addressBook: 'team_shared_by_alice', fullName: 'Pat' }, { user: 'bob' });
    expect(create.isError).toBe(true);
    await expect(deleteContact.plan!({ id: 'team_shared_by_alice/caterpillar.vcf' }, contextFor('bob'))).rejects.toThrow(/read-only/);
    const remove = await tools.call(deleteContact, { id: 'team_shared_by_alice/caterpillar.vcf' }, { user: 'bob' });
    expect(remove.isError).toBe(true);
    const still = (await tools.call(getContact, { id: 'team/caterpillar.vcf' })).structured as Contact;
    expect(still.fullName).toBe('Caterpillar');
    expect(still.note).toBeUndefined();
  });

  it("does not see alice's own contacts otherwise", async () => {
    const search = await tools.call(searchContacts, { query: 'Rabbit' }, { user: 'bob' });
    expect(search.structured!.contacts).toEqual([]);
    const direct = await tools.call(getContact, { id: 'contacts/white-rabbit.vcf' }, { user: 'bob' });
    expect(direct.isError).toBe(true);
    const viaShare = await tools.call(getContact, { id: 'team_shared_by_alice/white-rabbit.vcf' }, { user: 'bob' });
    expect(viaShare.isError).toBe(true);
    // Bob's own contacts are his alone.
    const own = await tools.call(searchContacts, { query: "Bob's Builders" }, { user: 'bob' });
    expect((own.structured!.contacts as Contact[]).map((c) => c.fullName).sort()).toEqual(['Scoop', 'Wendy']);
    expect((await tools.call(searchContacts, { query: 'Wendy' })).structured!.contacts).toEqual([]);
  });
});
