// The task tools: VTODO over CalDAV through lib, as the acting user, in the task lists of that user's own home.
import type { Tool } from '../tool.js';
import { tasksCreate } from './create.js';
import { tasksDelete } from './delete.js';
import { tasksGet } from './get.js';
import { tasksList } from './list.js';
import { tasksListLists } from './list-lists.js';
import { tasksUpdate } from './update.js';

export const tasksTools: Tool[] = [tasksListLists, tasksList, tasksGet, tasksCreate, tasksUpdate, tasksDelete];
