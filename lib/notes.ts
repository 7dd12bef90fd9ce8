// The Notes app's REST API (index.php/apps/notes/api/v1).
import type { HttpClient } from './http.js';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface NotesClient {}

export function notesClient(_http: HttpClient, _timeoutMs = 30_000): NotesClient {
  return {};
}
