import { z } from 'zod';
import { withoutMissing } from '../absent.js';
import { READS_ONLY, defineTool } from '../tool.js';

export const listAddressBooks = defineTool({
  name: 'contacts_list_address_books',
  title: 'List address books',
  description:
    "Lists the user's address books: their own, those other people share with them (read-only or writable), and Nextcloud's system address book of all accounts (read-only). " +
    'Use an id with contacts_search or contacts_create.',
  scopes: { allOf: ['contacts.read'] },
  input: z.object({}),
  output: z.object({
    addressBooks: z.array(
      z.object({
        id: z.string(),
        displayName: z.string(),
        description: z.string().optional(),
        kind: z
          .enum(['own', 'shared', 'system', 'app'])
          .describe('own, shared with the user, the system book of all accounts, or app-provided.'),
        writable: z.boolean().describe('Whether the user can add, change and delete contacts in it.'),
        owner: z.string().optional().describe('User id of the owner (absent for the system book).'),
        ownerDisplayName: z.string().optional(),
      }),
    ),
  }),
  annotations: READS_ONLY,
  async run(_input, context) {
    const books = await context.user.contacts.addressBooks();
    return {
      structured: {
        addressBooks: books.map((book) =>
          withoutMissing({
            id: book.uri,
            displayName: book.displayName,
            description: book.description,
            kind: book.kind,
            writable: book.writable,
            owner: book.owner,
            ownerDisplayName: book.ownerDisplayName,
          }),
        ),
      },
    };
  },
});
