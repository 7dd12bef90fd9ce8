// The Deck app's REST API (index.php/apps/deck/api/v1.0).
import type { HttpClient } from './http.js';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface DeckClient {}

export function deckClient(_http: HttpClient, _timeoutMs = 30_000): DeckClient {
  return {};
}
