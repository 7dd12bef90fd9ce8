// The trash bin over WebDAV (trashbin/{uid}/trash).
import type { HttpClient } from './http.js';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface TrashClient {}

export function trashClient(_http: HttpClient, _timeoutMs = 30_000): TrashClient {
  return {};
}
