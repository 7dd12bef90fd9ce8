import { z } from 'zod';
import { defineTool } from '../tool.js';
import {
  addressBookInput,
  assertWritable,
  contactChanges,
  contactDetailsInput,
  contactFieldsInput,
  contactSchema,
  describeContact,
  findAddressBook,
} from './common.js';

export const createContact = defineTool({
  name: 'contacts_create',
  title: 'Create a contact',
  description:
    'Adds a contact to one of the user\'s writable address books (default: their own "contacts" book). Only fullName is required. Returns the new contact with its id and etag.',
  scopes: { allOf: ['contacts.write'] },
  input: z.object({
    addressBook: addressBookInput.optional().describe('Address book id or display name; default "contacts".'),
    fullName: contactFieldsInput.fullName,
    ...contactDetailsInput.shape,
  }),
  output: contactSchema,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async run(input, context) {
    const client = context.user.contacts;
    const book = await findAddressBook(client, input.addressBook ?? 'contacts', context.userId);
    assertWritable(book, context.userId);
    context.audit(book.uri);
    const contact = await client.create(book.uri, contactChanges(input));
    return { structured: describeContact(contact) };
  },
});
