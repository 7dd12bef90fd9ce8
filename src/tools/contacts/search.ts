import { z } from 'zod';
import { READS_ONLY, WELL_FORMED, defineTool } from '../tool.js';
import { addressBookInput, contactSchema, describeContact, findAddressBook } from './common.js';

export const searchContacts = defineTool({
  name: 'contacts_search',
  title: 'Search contacts',
  description:
    'Finds contacts whose name, nickname, email address, phone number or organisation contains the query (case-insensitive), ' +
    "in one address book or in all of the user's own and shared ones. The system address book of all accounts is searched only with includeSystem or when named. " +
    'Returns each contact with its id and etag.',
  scopes: { allOf: ['contacts.read'] },
  input: z.object({
    query: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .refine(...WELL_FORMED)
      .describe('Text to look for, e.g. part of a name, an email address or a phone number.'),
    addressBook: addressBookInput.optional().describe('Search only this address book (id or display name).'),
    includeSystem: z.boolean().optional().describe("Also search Nextcloud's address book of all accounts (colleagues on this Nextcloud)."),
    limit: z.number().int().min(1).max(100).optional().describe('At most this many contacts (default 25).'),
  }),
  output: z.object({
    contacts: z.array(contactSchema),
    truncated: z.boolean().describe('More contacts match than were returned; narrow the query or raise limit.'),
    unreadable: z.number().int().optional().describe('Matching cards that are not readable vCards and were left out.'),
  }),
  annotations: READS_ONLY,
  async run(input, context) {
    const client = context.user.contacts;
    const book = input.addressBook ? await findAddressBook(client, input.addressBook, context.userId) : undefined;
    const result = await client.search(input.query, {
      addressBook: book?.uri,
      includeSystem: input.includeSystem,
      limit: input.limit ?? 25,
    });
    return {
      structured: {
        contacts: result.contacts.map(describeContact),
        truncated: result.truncated,
        ...(result.unreadable ? { unreadable: result.unreadable } : {}),
      },
    };
  },
});
