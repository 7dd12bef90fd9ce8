// The Notes app's REST API (index.php/apps/notes/api/v1, more-apps.md §3). Notes are files below the user's notes
// folder; the API adds titles, categories (sub-folders) and an etag of its own for safe updates. Its answers are
// plain JSON (not OCS), its errors carry no message, and an app that is missing or not enabled for the user fails
// before the Notes code runs (§0), so every failure is worded here from the status and the kind of body.
import { z } from 'zod';
import { InvalidArgumentError, NextcloudError } from './errors.js';
import type { NextcloudErrorCode } from './errors.js';
import type { HttpClient } from './http.js';
import { answerKind, readBody, unexpectedAnswer } from './http.js';
import { issuesText } from './zod-issues.js';

const API = '/index.php/apps/notes/api/v1';

const noteSchema = z.looseObject({
  id: z.number().int(),
  title: z.string(),
  // Seconds; bounded so that every value is a date (a broken one is Nextcloud's error, not a crash here).
  modified: z.number().int().min(0).max(8_640_000_000_000),
  category: z.string(),
  favorite: z.boolean(),
  readonly: z.boolean(),
  /** User-relative path of the note file (Notes 4.9+), e.g. /Notes/Work/Ideas.md. */
  internalPath: z.string(),
  error: z.boolean().default(false),
  errorType: z.string().default(''),
  /** Absent when the list was asked without content. */
  content: z.string().optional(),
  etag: z.string(),
});
export type Note = z.infer<typeof noteSchema>;
export type NoteWithContent = Note & { content: string };

const withContent = noteSchema.extend({ content: z.string() });

/** The list mixes full notes and, on its last chunk, bare `{id}` entries for the notes not sent in full. */
const listEntry = z.union([
  noteSchema,
  z.strictObject({ id: z.number().int() }).transform((entry) => ({ id: entry.id, bare: true as const })),
]);

const settingsSchema = z.looseObject({ notesPath: z.string(), fileSuffix: z.string() });
export type NotesSettings = z.infer<typeof settingsSchema>;

export interface NotesPage {
  notes: Note[];
  /** Pass back as `cursor` for the next chunk; null on the last chunk. */
  cursor: string | null;
  /** How many notes the following chunks still hold. */
  pending: number;
}

export interface NoteFields {
  title?: string;
  /** Folder path below the notes folder, "/"-separated; "" for the notes folder itself. */
  category?: string;
  content?: string;
  favorite?: boolean;
}

export interface NotesClient {
  /** Where the user's notes live (user-relative, e.g. "Notes") and the suffix new notes get. */
  settings(): Promise<NotesSettings>;
  /**
   * One chunk of the user's notes (all of them without `chunkSize`), oldest change first. `category` filters
   * exactly. Listing creates the notes folder when it is missing, as the Notes app does.
   */
  list(options?: { category?: string; chunkSize?: number; cursor?: string; content?: boolean }): Promise<NotesPage>;
  get(id: number): Promise<NoteWithContent>;
  /** The title Notes made of `title` (safe characters, " (2)" on a clash) is in the answer. */
  create(fields: NoteFields): Promise<NoteWithContent>;
  /**
   * Changes the given fields. With `etag` (the note's, as read) the change is refused with a NoteConflictError
   * when the note changed meanwhile; without, the last write wins.
   */
  update(id: number, fields: NoteFields, options?: { etag?: string }): Promise<NoteWithContent>;
  /** Moves the note file to the trash bin. */
  delete(id: number): Promise<void>;
}

/** An update with an etag that is no longer the note's: carries the note as it is now. */
export class NoteConflictError extends NextcloudError {
  constructor(
    readonly current: NoteWithContent,
    method: string,
    path: string,
  ) {
    super({
      code: 'precondition_failed',
      status: 412,
      method,
      path,
      message: `Note ${current.id} ("${current.title}") changed since it was read; read it again and apply the change to its current content.`,
    });
  }
}

/** The Notes app cannot be used by this user at all: not installed (404 page), or not enabled for their groups. */
export class NotesUnavailableError extends NextcloudError {}

/** Notes' wire form of an etag in If-Match: quoted, or it never matches. */
function quoted(etag: string): string {
  const bare = etag.trim().replace(/^W\//, '').replace(/"/g, '');
  return `"${bare}"`;
}

export function notesClient(http: HttpClient, timeoutMs = 30_000): NotesClient {
  const request = async <T extends z.ZodType>(method: string, relative: string, schema: T, options: RequestShape = {}) => {
    const path = API + relative;
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (options.json !== undefined) headers['content-type'] = 'application/json';
    const response = await http.request(method, path, {
      query: options.query,
      headers,
      body: options.json === undefined ? undefined : JSON.stringify(options.json),
      timeoutMs,
      // Notes' own failures and the framework's are told apart by their bodies, read below.
      accept: [400, 403, 404, 412, 423, 500, 507],
    });
    const text = await readBody(response, method, path);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      if (response.status === 404)
        throw new NotesUnavailableError({
          code: 'not_found',
          status: 404,
          method,
          path,
          message: 'The Notes app is not installed on this Nextcloud, so notes cannot be reached.',
        });
      throw unexpectedAnswer(method, path, `${answerKind(response)} instead of the Notes app's JSON`, response.status, error);
    }
    if (!response.ok) throw notesFailure(response, body, method, path, http.userId);
    const parsed = schema.safeParse(body);
    if (!parsed.success)
      throw unexpectedAnswer(
        method,
        path,
        `Notes data of an unexpected shape (${issuesText(parsed.error.issues, { max: 3 })})`,
        response.status,
      );
    return { data: parsed.data as z.infer<T>, response };
  };

  return {
    async settings() {
      return (await request('GET', '/settings', settingsSchema)).data;
    },

    async list(options = {}) {
      const query: Record<string, string | number | undefined> = {
        category: options.category,
        chunkSize: options.chunkSize,
        chunkCursor: options.cursor,
        exclude: options.content === false ? 'content' : undefined,
      };
      const { data, response } = await request('GET', '/notes', z.array(listEntry), { query });
      const cursor = response.headers.get('x-notes-chunk-cursor');
      const pending = Number(response.headers.get('x-notes-chunk-pending') ?? 0);
      return {
        notes: data.filter((entry): entry is Note => !('bare' in entry)),
        cursor: cursor || null,
        pending: Number.isFinite(pending) ? pending : 0,
      };
    },

    async get(id) {
      return (await request('GET', `/notes/${noteId(id)}`, withContent)).data;
    },

    async create(fields) {
      return (await request('POST', '/notes', withContent, { json: fields })).data;
    },

    async update(id, fields, options = {}) {
      const headers = options.etag === undefined ? undefined : { 'if-match': quoted(options.etag) };
      return (await request('PUT', `/notes/${noteId(id)}`, withContent, { json: fields, headers })).data;
    },

    async delete(id) {
      await request('DELETE', `/notes/${noteId(id)}`, z.unknown());
    },
  };
}

interface RequestShape {
  query?: Record<string, string | number | undefined>;
  headers?: Record<string, string>;
  json?: unknown;
}

function noteId(id: number): number {
  if (!Number.isSafeInteger(id) || id < 0) throw new InvalidArgumentError(`${id} is not a note id: note ids are whole numbers.`);
  return id;
}

function failure(code: NextcloudErrorCode, response: Response, method: string, path: string, message: string, remoteMessage?: string) {
  return new NextcloudError({ code, status: response.status, method, path, message, remoteMessage });
}

/** A JSON failure: the framework's (with a message) or Notes' own (errorType only, the status says what). */
function notesFailure(response: Response, body: unknown, method: string, path: string, userId: string): NextcloudError {
  const said = body && typeof body === 'object' && 'message' in body && typeof body.message === 'string' ? body.message : undefined;
  const fail = (code: NextcloudErrorCode, message: string) => failure(code, response, method, path, message, said);
  switch (response.status) {
    case 412: {
      if (said && /not enabled/i.test(said))
        return new NotesUnavailableError({
          code: 'forbidden',
          status: 412,
          remoteMessage: said,
          method,
          path,
          message: `The Notes app is not enabled for ${userId}; an administrator can enable it for their groups.`,
        });
      const current = withContent.safeParse(body);
      if (current.success) return new NoteConflictError(current.data, method, path);
      return fail('precondition_failed', `Notes refused the request (412)${said ? `: ${said}` : ''}.`);
    }
    case 404:
      return fail('not_found', `No such note for ${userId}: it does not exist, or its file is not in ${userId}'s notes folder.`);
    case 403:
      return fail('forbidden', `The note is read-only for ${userId} (for example, shared without edit permission).`);
    case 423:
      return fail('locked', 'The note file is locked by another process; try again later.');
    case 507:
      return fail('quota_exceeded', `${userId}'s storage quota is full, so the note cannot be saved.`);
    case 400:
      return fail('bad_request', 'The Notes app rejected the request as invalid.');
    default:
      return fail('unavailable', `The Notes app failed (${response.status}).`);
  }
}
