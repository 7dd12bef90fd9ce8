// `search` and `fetch` in the shape ChatGPT requires for deep research and company knowledge.
import type { Tool } from '../tool.js';
import { fetch } from './fetch.js';
import { search } from './search.js';

export { fetch, search };

export const chatgptTools: Tool[] = [search, fetch] as unknown as Tool[];
