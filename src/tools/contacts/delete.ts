import { z } from 'zod';
import type { ToolContext } from '../tool.js';
import { defineTool } from '../tool.js';
import { headerEtag } from '../etag.js';
import { assertWritable, contactIdInput, etagInput, findAddressBook, rewordMissing, rewordStale, splitContactId } from './common.js';

/** The contact a delete call names, read so that the plan and the answer can say who it is. */
async function target(id: string, context: ToolContext) {
  const client = context.user.contacts;
  const { book, name } = splitContactId(id);
  const addressBook = await findAddressBook(client, book, context.userId);
  assertWritable(addressBook, context.userId);
  const contact = await client.get(addressBook.uri, name).catch((error: unknown) => rewordMissing(error, id, context.userId));
  return { addressBook, name, contact };
}

export const deleteContact = defineTool({
  name: 'contacts_delete',
  title: 'Delete a contact',
  description:
    'Deletes a contact for good: Nextcloud has no trash bin for contacts, so it cannot be restored. ' +
    'Give the etag from contacts_get or contacts_search to delete only the version you saw.',
  scopes: { allOf: ['contacts.write'] },
  input: z.object({
    id: contactIdInput,
    etag: etagInput
      .optional()
      .describe('The etag the contact had when you read it; if given and the contact changed since, nothing is deleted.'),
  }),
  output: z.object({
    deleted: z.literal(true),
    id: z.string(),
    fullName: z.string().describe('Name of the deleted contact.'),
    addressBook: z.string(),
  }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  async plan(input, context) {
    const { addressBook, contact } = await target(input.id, context);
    const who = contact.fullName || contact.emails[0]?.value || input.id;
    return `This permanently deletes the contact "${who}" from address book "${addressBook.displayName}". Contacts have no trash bin, so this cannot be undone.`;
  },
  async run(input, context) {
    const { addressBook, name, contact } = await target(input.id, context);
    context.audit(`${addressBook.uri}/${name}`);
    await context.user.contacts
      // The version read (and shown in the plan) is the one deleted: a change made since stops the delete.
      .delete(addressBook.uri, name, { etag: input.etag ? headerEtag(input.etag) : contact.etag ? headerEtag(contact.etag) : undefined })
      .catch((error: unknown) => rewordStale(error))
      .catch((error: unknown) => rewordMissing(error, input.id, context.userId));
    return { structured: { deleted: true as const, id: input.id, fullName: contact.fullName, addressBook: addressBook.uri } };
  },
});
