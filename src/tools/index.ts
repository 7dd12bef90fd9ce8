// Every tool the server offers. Which of them a client sees depends on its grant (src/tools/tool.ts toolAllowed),
// the admin's switches, and for Notes and Deck whether the app is enabled for the user.
import { whoami } from './account/whoami.js';
import { calendarTools } from './calendar/index.js';
import { chatgptTools } from './chatgpt/index.js';
import { contactsTools } from './contacts/index.js';
import { deckTools } from './deck/index.js';
import { filesTools } from './files/index.js';
import { notesTools } from './notes/index.js';
import { talkTools } from './talk/index.js';
import { tasksTools } from './tasks/index.js';
import type { Tool } from './tool.js';

export const allTools: readonly Tool[] = [
  whoami as unknown as Tool,
  ...filesTools,
  ...calendarTools,
  ...tasksTools,
  ...contactsTools,
  ...notesTools,
  ...deckTools,
  ...talkTools,
  ...chatgptTools,
];
