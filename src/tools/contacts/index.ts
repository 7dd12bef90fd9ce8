// The contacts tools: CardDAV through lib, as the acting user, in the address books of that user's own home.
import type { Tool } from '../tool.js';
import { createContact } from './create.js';
import { deleteContact } from './delete.js';
import { getContact } from './get.js';
import { listAddressBooks } from './list-address-books.js';
import { searchContacts } from './search.js';
import { updateContact } from './update.js';

export { createContact, deleteContact, getContact, listAddressBooks, searchContacts, updateContact };

export const contactsTools: Tool[] = [listAddressBooks, searchContacts, getContact, createContact, updateContact, deleteContact];
