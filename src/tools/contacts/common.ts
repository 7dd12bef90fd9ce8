// What the contacts tools share: contact ids and how they resolve, the address book a call names, the fields a
// contact is written with, and the shape a contact is described in.
//
// A contact id is "<address book id>/<card name>", e.g. "contacts/3f2c….vcf". Both parts are single path segments
// below the acting user's own address-book home, and the address book must be one Nextcloud lists there, so no id
// reaches outside that home: another user's book is reachable only when Nextcloud shares it into this user's home
// (e.g. team_shared_by_alice), with Nextcloud's own rights.
import { z } from 'zod';
import type { AddressBookInfo, Contact, ContactChanges, ContactsClient, TypedValue } from '../../../lib/contacts.js';
import { isNextcloudError } from '../../../lib/index.js';
import { withoutMissing } from '../absent.js';
import { ToolError, WELL_FORMED, etagField } from '../tool.js';

const SEGMENT = /^(?!\.\.?$)[^/\\\u0000-\u001f\u007f]{1,255}$/;

export const addressBookInput = z
  .string()
  .trim()
  .min(1)
  .max(255)
  .refine(...WELL_FORMED)
  .describe('An address book id from contacts_list_address_books (e.g. "contacts"), or its display name.');

export const contactIdInput = z
  .string()
  .trim()
  .min(3)
  .max(512)
  .refine(...WELL_FORMED)
  .refine((id) => {
    const at = id.indexOf('/');
    return at > 0 && SEGMENT.test(id.slice(0, at)) && SEGMENT.test(id.slice(at + 1));
  }, 'is not a contact id: use the id contacts_search or contacts_create returned, "<address book id>/<card name>"')
  .describe('The contact id as contacts_search, contacts_get or contacts_create returned it: "<address book id>/<card name>".');

export const etagInput = etagField('the contacts tools');

const TYPE = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9-]{1,20}$/, 'is not a vCard type (letters, digits and -, e.g. work, home, cell)');

const typedValue = (what: string, max: number) =>
  z.union([
    z
      .string()
      .trim()
      .min(1)
      .max(max)
      .refine(...WELL_FORMED),
    z.object({
      value: z
        .string()
        .trim()
        .min(1)
        .max(max)
        .refine(...WELL_FORMED)
        .describe(what),
      types: z.array(TYPE).max(5).optional().describe('Kinds such as work, home, cell, fax.'),
    }),
  ]);

const text = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .refine(...WELL_FORMED);

/** The fields a contact is written with; in updates, null or an empty value removes a field. */
export const contactFieldsInput = {
  fullName: text(500).min(1).describe('The name as shown (vCard FN), e.g. "Ada Lovelace".'),
  givenName: text(200).nullable().describe('First name.'),
  familyName: text(200).nullable().describe('Last name.'),
  nickname: text(200).nullable().describe('Nickname.'),
  emails: z
    .array(typedValue('An email address.', 320))
    .max(20)
    .nullable()
    .describe('Email addresses, each "a@example.com" or {value, types: ["work"]}. Replaces all of them.'),
  phones: z
    .array(typedValue('A phone number.', 100))
    .max(20)
    .nullable()
    .describe('Phone numbers, each "+44 20 7946 0000" or {value, types: ["cell"]}. Replaces all of them.'),
  organization: text(500).nullable().describe('Company or organisation.'),
  title: text(500).nullable().describe('Job title.'),
  note: z
    .string()
    .max(20_000)
    .refine(...WELL_FORMED)
    .nullable()
    .describe('A free-text note (replaces the old one).'),
  categories: z
    .array(text(200).min(1))
    .max(50)
    .nullable()
    .describe('Groups the contact belongs to (vCard CATEGORIES). Replaces all of them.'),
};

/** The fields besides the name, each optional: what a create may add and an update may change. */
export const contactDetailsInput = z.object({
  givenName: contactFieldsInput.givenName.optional(),
  familyName: contactFieldsInput.familyName.optional(),
  nickname: contactFieldsInput.nickname.optional(),
  emails: contactFieldsInput.emails.optional(),
  phones: contactFieldsInput.phones.optional(),
  organization: contactFieldsInput.organization.optional(),
  title: contactFieldsInput.title.optional(),
  note: contactFieldsInput.note.optional(),
  categories: contactFieldsInput.categories.optional(),
});

export function typedValues(
  values: ReadonlyArray<string | { value: string; types?: string[] }> | null | undefined,
): TypedValue[] | null | undefined {
  if (values === undefined || values === null) return values;
  return values.map((entry) =>
    typeof entry === 'string' ? { value: entry, types: [] } : { value: entry.value, types: entry.types ?? [] },
  );
}

/** A tool's contact fields as lib takes them: empty text and null remove a field, lists become typed values. */
export function contactChanges<Input extends { fullName?: string } & z.infer<typeof contactDetailsInput>>(
  input: Input,
): ContactChanges & Pick<Input, 'fullName'> {
  return {
    fullName: input.fullName,
    givenName: emptied(input.givenName),
    familyName: emptied(input.familyName),
    nickname: emptied(input.nickname),
    emails: typedValues(input.emails),
    phones: typedValues(input.phones),
    organization: emptied(input.organization),
    title: emptied(input.title),
    note: emptied(input.note),
    categories: input.categories,
  };
}

/** Empty text means "remove", as null does. */
export const emptied = <T>(value: T | '' | null | undefined): T | null | undefined => (value === '' ? null : value);

export function splitContactId(id: string): { book: string; name: string } {
  const at = id.indexOf('/');
  return { book: id.slice(0, at), name: id.slice(at + 1) };
}

export const contactIdOf = (contact: Pick<Contact, 'addressBook' | 'name'>) => `${contact.addressBook}/${contact.name}`;

/** The address book a call names, by id or (when unambiguous) by display name, among the user's own listing. */
export async function findAddressBook(client: ContactsClient, name: string, userId: string): Promise<AddressBookInfo> {
  const all = await client.addressBooks();
  const byId = all.find((book) => book.uri === name);
  const byName = all.filter((book) => book.displayName.toLowerCase() === name.toLowerCase());
  const book = byId ?? (byName.length === 1 ? byName[0] : undefined);
  if (!book)
    throw new ToolError(
      'not_found',
      `${userId} has no address book '${name}'${byName.length > 1 ? ' (several have that name; use the id)' : ''}. Address books: ${all.map((b) => `${b.uri} ("${b.displayName}")`).join(', ') || 'none'}.`,
    );
  return book;
}

/** Read-only books are refused before anything is sent, with who to ask. */
export function assertWritable(book: AddressBookInfo, userId: string): void {
  if (book.writable) return;
  const why =
    book.kind === 'system'
      ? 'it is the system address book of all accounts, which only Nextcloud itself maintains'
      : book.kind === 'shared'
        ? `it is shared with ${userId} read-only${book.owner ? ` by ${book.owner}` : ''}; ask the owner for write access`
        : `it is read-only for ${userId}`;
  throw new ToolError(
    'not_allowed',
    `address book '${book.displayName}' (${book.uri}) cannot be changed: ${why}. Use one of ${userId}'s own address books, e.g. "contacts".`,
  );
}

export function rewordMissing(error: unknown, id: string, userId: string): never {
  if (isNextcloudError(error, 'not_found'))
    throw new ToolError(
      'not_found',
      `contact '${id}' does not exist in ${userId}'s address books (it may have been deleted); contacts_search shows the current ids.`,
    );
  throw error;
}

export const staleContact = () =>
  new ToolError('conflict', 'the contact changed since you read it; read it again with contacts_get and retry with its new etag.');

export function rewordStale(error: unknown): never {
  if (isNextcloudError(error, 'precondition_failed')) throw staleContact();
  throw error;
}

// ---- output shapes

const typedValueOutput = z.object({ value: z.string(), types: z.array(z.string()) });

export const contactSchema = z.object({
  id: z.string().describe('Contact id for contacts_get, contacts_update and contacts_delete.'),
  addressBook: z.string().describe('Id of the address book holding it.'),
  fullName: z.string(),
  givenName: z.string().optional(),
  familyName: z.string().optional(),
  nickname: z.string().optional(),
  emails: z.array(typedValueOutput),
  phones: z.array(typedValueOutput),
  organization: z.string().optional(),
  title: z.string().optional(),
  note: z.string().optional(),
  categories: z.array(z.string()),
  birthday: z.string().optional(),
  uid: z.string().optional(),
  etag: z.string().optional().describe('Version tag; give it to contacts_update or contacts_delete to change only this version.'),
  otherProperties: z.array(z.string()).describe('Names of further vCard properties the contact has (kept as they are on update).'),
});

export function describeContact(contact: Contact): z.infer<typeof contactSchema> {
  return withoutMissing({
    id: contactIdOf(contact),
    addressBook: contact.addressBook,
    fullName: contact.fullName,
    givenName: contact.givenName,
    familyName: contact.familyName,
    nickname: contact.nickname,
    emails: contact.emails,
    phones: contact.phones,
    organization: contact.organization,
    title: contact.title,
    note: contact.note,
    categories: contact.categories,
    birthday: contact.birthday,
    uid: contact.uid,
    etag: contact.etag,
    otherProperties: contact.otherProperties,
  });
}
