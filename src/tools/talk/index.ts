// The Talk tools, in the order clients list them.
import type { Tool } from '../tool.js';
import { listConversations } from './list-conversations.js';
import { readMessages } from './read-messages.js';
import { searchMessages } from './search-messages.js';
import { sendMessage } from './send-message.js';

export { listConversations, readMessages, searchMessages, sendMessage };

export const talkTools: Tool[] = [listConversations, readMessages, sendMessage, searchMessages] as unknown as Tool[];
