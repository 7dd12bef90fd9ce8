import { z } from 'zod';
import { defineTool } from '../tool.js';
import {
  addressBookInput,
  assertWritable,
  contactDetailsInput,
  contactFieldsInput,
  contactSchema,
  describeContact,
  emptied,
  findAddressBook,
  typedValues,
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
    const contact = await client.create(book.uri, {
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
    });
    return { structured: describeContact(contact) };
  },
});
