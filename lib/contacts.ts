// CardDAV address books and contacts (vCard).
import type { HttpClient } from './http.js';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ContactsClient {}

export function contactsClient(_http: HttpClient, _timeoutMs = 30_000): ContactsClient {
  return {};
}
