import { z } from 'zod';
import { READS_ONLY, defineTool } from '../tool.js';
import { contactIdInput, contactSchema, describeContact, findAddressBook, rewordMissing, splitContactId } from './common.js';

export const getContact = defineTool({
  name: 'contacts_get',
  title: 'Get a contact',
  description: 'Reads one contact by the id contacts_search or contacts_create returned, with its etag for contacts_update.',
  scopes: { allOf: ['contacts.read'] },
  input: z.object({ id: contactIdInput }),
  output: contactSchema,
  annotations: READS_ONLY,
  async run(input, context) {
    const client = context.user.contacts;
    const { book, name } = splitContactId(input.id);
    const addressBook = await findAddressBook(client, book, context.userId);
    context.audit(`${addressBook.uri}/${name}`);
    const contact = await client.get(addressBook.uri, name).catch((error: unknown) => rewordMissing(error, input.id, context.userId));
    return { structured: describeContact(contact) };
  },
});
