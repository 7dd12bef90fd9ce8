// The Deck tools, in the order clients list them.
import type { Tool } from '../tool.js';
import { deckArchiveCard } from './archive-card.js';
import { deckCreateCard } from './create-card.js';
import { deckDeleteCard } from './delete-card.js';
import { deckGetBoard } from './get-board.js';
import { deckGetCard } from './get-card.js';
import { deckListBoards } from './list-boards.js';
import { deckMoveCard } from './move-card.js';
import { deckUpdateCard } from './update-card.js';

export { deckArchiveCard, deckCreateCard, deckDeleteCard, deckGetBoard, deckGetCard, deckListBoards, deckMoveCard, deckUpdateCard };

export const deckTools: Tool[] = [
  deckListBoards,
  deckGetBoard,
  deckGetCard,
  deckCreateCard,
  deckUpdateCard,
  deckMoveCard,
  deckArchiveCard,
  deckDeleteCard,
] as unknown as Tool[];
