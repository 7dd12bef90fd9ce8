// Tasks: VTODO objects in the CalDAV calendars that hold tasks.
import type { HttpClient } from './http.js';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface TasksClient {}

export function tasksClient(_http: HttpClient, _timeoutMs = 30_000): TasksClient {
  return {};
}
