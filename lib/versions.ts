// File versions over WebDAV (versions/{uid}/versions/{fileId}).
import type { HttpClient } from './http.js';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface VersionsClient {}

export function versionsClient(_http: HttpClient, _timeoutMs = 30_000): VersionsClient {
  return {};
}
