// Every tool the server offers. Which of them a client sees depends on its grant (src/tools/tool.ts toolAllowed).
import { whoami } from './account/whoami.js';
import { calendarTools } from './calendar/index.js';
import { chatgptTools } from './chatgpt/index.js';
import { filesTools } from './files/index.js';
import { talkTools } from './talk/index.js';
import type { Tool } from './tool.js';

export const allTools: readonly Tool[] = [whoami as unknown as Tool, ...filesTools, ...calendarTools, ...talkTools, ...chatgptTools];
