// System tags over WebDAV (systemtags/, systemtags-relations/, REPORT oc:filter-files).
import type { HttpClient } from './http.js';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface SystemTagsClient {}

export function systemTagsClient(_http: HttpClient, _timeoutMs = 30_000): SystemTagsClient {
  return {};
}
