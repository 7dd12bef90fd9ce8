import { z } from 'zod';
import { ToolError, defineTool, namedFieldsOnly } from '../tool.js';
import { headerEtag } from '../etag.js';
import {
  assertWritable,
  contactChanges,
  contactDetailsInput,
  contactFieldsInput,
  contactIdInput,
  contactSchema,
  describeContact,
  etagInput,
  findAddressBook,
  rewordMissing,
  rewordStale,
  splitContactId,
} from './common.js';

const FIELDS = ['fullName', ...contactDetailsInput.keyof().options] as const;

export const updateContact = defineTool({
  name: 'contacts_update',
  title: 'Update a contact',
  description:
    "Changes only the fields given and keeps everything else in the contact exactly as it is (photo, addresses, birthday, other apps' data). " +
    'emails, phones and categories replace the whole list; null or an empty value removes a field. ' +
    'Give the etag from contacts_get or contacts_search to change only the version you saw: if it changed since, nothing is written and you are told to read it again.',
  scopes: { allOf: ['contacts.write'] },
  input: z.object({
    id: contactIdInput,
    etag: etagInput.optional().describe('The etag the contact had when you read it.'),
    fullName: contactFieldsInput.fullName.optional(),
    ...contactDetailsInput.shape,
  }),
  output: contactSchema,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  plan: namedFieldsOnly,
  async run(input, context) {
    if (FIELDS.every((field) => input[field] === undefined))
      throw new ToolError('invalid_input', `nothing to change: give at least one of ${FIELDS.join(', ')}.`);
    const client = context.user.contacts;
    const { book, name } = splitContactId(input.id);
    const addressBook = await findAddressBook(client, book, context.userId);
    assertWritable(addressBook, context.userId);
    context.audit(`${addressBook.uri}/${name}`);
    const contact = await client
      .update(addressBook.uri, name, contactChanges(input), { etag: input.etag ? headerEtag(input.etag) : undefined })
      .catch((error: unknown) => rewordStale(error))
      .catch((error: unknown) => rewordMissing(error, input.id, context.userId));
    return { structured: describeContact(contact) };
  },
});
