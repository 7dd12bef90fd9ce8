// A list named by id must be one of the board's open lists: Deck would otherwise act on whatever board holds it.
import type { DeckBoard, DeckStack } from '../../../lib/deck.js';
import { ToolError } from '../tool.js';

export function listOf(board: DeckBoard, stacks: readonly DeckStack[], listId: number): DeckStack {
  const list = stacks.find((stack) => stack.id === listId);
  if (list) return list;
  const known = stacks.map((stack) => `'${stack.title}' (${stack.id})`).join(', ') || 'none';
  throw new ToolError('not_found', `Deck board '${board.title}' has no list ${listId}; its lists: ${known}.`);
}
