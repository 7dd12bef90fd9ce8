// The Notes tools: the Notes app's REST API through lib, as the acting user, confined like the file tools.
import type { Tool } from '../tool.js';
import { notesCreate } from './create.js';
import { notesDelete } from './delete.js';
import { notesGet } from './get.js';
import { notesList } from './list.js';
import { notesSearch } from './search.js';
import { notesUpdate } from './update.js';

export const notesTools: Tool[] = [notesList, notesSearch, notesGet, notesCreate, notesUpdate, notesDelete];
