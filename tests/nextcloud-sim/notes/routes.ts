// The Notes app's REST API (more-apps.md §3), over the user's files in the DAV backend.
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { noRoute, requireAppUser } from '../apps.js';
import type { SimContext } from '../context.js';
import { updatedSettings } from './naming.js';
import type { NoteData, StoredNote } from './store.js';
import { NoteError, NotesStore } from './store.js';
import { FileRequestError } from './user-files.js';

const API = '/index.php/apps/notes/api';
const API_VERSIONS = '0.2, 1.3, 1.4';
const EXCLUDABLE = new Set(['id', 'title', 'modified', 'category', 'favorite', 'readonly', 'content']);

/** JSONResponse's encoding: `<` and `>` escaped (JSON_HEX_TAG), the API versions on every answer. */
function sendJson(reply: FastifyReply, status: number, body: unknown, headers: Record<string, string> = {}): FastifyReply {
  const json = JSON.stringify(body).replace(/</g, '\\u003C').replace(/>/g, '\\u003E');
  return reply
    .code(status)
    .headers({ 'X-Notes-API-Versions': API_VERSIONS, ...headers })
    .type('application/json; charset=utf-8')
    .send(json);
}

function notModified(reply: FastifyReply, etag: string): FastifyReply {
  return reply.code(304).headers({ 'X-Notes-API-Versions': API_VERSIONS, ETag: etag }).send();
}

/** Helper::handleErrorResponse: the status tells what failed; the body says no more. */
function sendError(reply: FastifyReply, error: unknown): FastifyReply {
  const status =
    error instanceof NoteError
      ? error.status
      : error instanceof FileRequestError && [403, 404, 423, 507].includes(error.status)
        ? error.status
        : 500;
  if (status === 500) reply.log.error({ err: error }, 'notes request failed');
  return sendJson(reply, status, { errorType: 'Exception' });
}

/** Path, query and JSON body merged as AppFramework does (path parameters win). */
function params(request: FastifyRequest): Record<string, unknown> {
  const body = request.body && typeof request.body === 'object' && !Array.isArray(request.body) ? request.body : {};
  return { ...(request.query as object), ...body, ...(request.params as object) };
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
const integer = (value: unknown): number | undefined => {
  const number = Number(value);
  return value === undefined || value === null || value === '' || !Number.isFinite(number) ? undefined : Math.trunc(number);
};
const flag = (value: unknown): boolean | undefined =>
  value === undefined || value === null ? undefined : value === true || value === 1 || value === '1' || value === 'true';

function noteFields(values: Record<string, unknown>) {
  return {
    title: text(values.title),
    category: text(values.category),
    content: text(values.content),
    modified: integer(values.modified),
    favorite: flag(values.favorite),
  };
}

function excluded(values: Record<string, unknown>): Set<string> {
  return new Set(
    (text(values.exclude) ?? '')
      .split(',')
      .map((key) => key.trim())
      .filter((key) => EXCLUDABLE.has(key)),
  );
}

function shown(note: NoteData, exclude: Set<string>): Partial<NoteData> {
  return Object.fromEntries(Object.entries(note).filter(([key]) => !exclude.has(key)));
}

const rfc2822 = (unix: number) => new Date(unix * 1000).toUTCString().replace('GMT', '+0000');
const md5 = (value: string) => createHash('md5').update(value).digest('hex');

/** Helper::getNotesAndCategories: the filtered, pruned and chunked list, and the headers that go with it. */
function listAnswer(notes: StoredNote[], values: Record<string, unknown>, now: number) {
  const category = text(values.category);
  const pruneBefore = integer(values.pruneBefore) ?? 0;
  const chunkSize = Math.max(0, integer(values.chunkSize) ?? 0);
  const cursor = /^(\d+)-(\d+)-(\d+)$/.exec(text(values.chunkCursor) ?? '');
  const timeStart = cursor ? Number(cursor[1]) : now;
  const inCategory = category === undefined ? notes : notes.filter((note) => note.data.category === category);
  const full = inCategory
    .filter((note) => {
      const pruned = pruneBefore > 0 && note.lastUpdate < pruneBefore;
      const done =
        cursor !== null &&
        (note.lastUpdate < Number(cursor[2]) || (note.lastUpdate === Number(cursor[2]) && note.data.id <= Number(cursor[3])));
      return !pruned && !done;
    })
    .sort((a, b) => a.lastUpdate - b.lastUpdate || a.data.id - b.data.id);
  const chunk = chunkSize > 0 ? full.slice(0, chunkSize) : full;
  const pending = full.length - chunk.length;
  const exclude = excluded(values);
  const body: Array<Partial<NoteData>> = chunk.map((note) => shown(note.data, exclude));
  const headers: Record<string, string> = {};
  if (pending > 0) {
    const last = chunk[chunk.length - 1]!;
    headers['X-Notes-Chunk-Cursor'] = `${timeStart}-${last.lastUpdate}-${last.data.id}`;
    headers['X-Notes-Chunk-Pending'] = String(pending);
  } else {
    // Only the last chunk names the other notes, so that a client can tell which ones were deleted.
    const sent = new Set(chunk.map((note) => note.data.id));
    body.unshift(...inCategory.filter((note) => !sent.has(note.data.id)).map((note) => ({ id: note.data.id })));
  }
  return { body, headers: { ...headers, ETag: `"${md5(JSON.stringify(body))}"`, 'Last-Modified': rfc2822(timeStart) } };
}

export function registerNotesRoutes(app: FastifyInstance, ctx: SimContext): void {
  const storeFor = (request: FastifyRequest, reply: FastifyReply): NotesStore | null => {
    const user = requireAppUser(ctx, 'notes', request, reply);
    return user ? new NotesStore(ctx, user.id) : null;
  };
  const noteId = (request: FastifyRequest): number | null => {
    const id = (request.params as { id: string }).id;
    return /^\d+$/.test(id) ? Number(id) : null;
  };

  app.get(`${API}/v1/notes`, async (request, reply) => {
    const store = storeFor(request, reply);
    if (!store) return reply;
    try {
      const { body, headers } = listAnswer(await store.all(), params(request), Math.floor(Date.now() / 1000));
      if (request.headers['if-none-match'] === headers.ETag) return notModified(reply, headers.ETag);
      return sendJson(reply, 200, body, headers);
    } catch (error) {
      return sendError(reply, error);
    }
  });

  app.get(`${API}/v1/notes/:id`, async (request, reply) => {
    const store = storeFor(request, reply);
    if (!store) return reply;
    const id = noteId(request);
    if (id === null) return sendJson(reply, 400, []);
    try {
      const note = await store.byId(id);
      const etag = `"${note.data.etag}"`;
      if (request.headers['if-none-match'] === etag) return notModified(reply, etag);
      return sendJson(reply, 200, shown(note.data, excluded(params(request))), { ETag: etag });
    } catch (error) {
      return sendError(reply, error);
    }
  });

  app.post(`${API}/v1/notes`, async (request, reply) => {
    const store = storeFor(request, reply);
    if (!store) return reply;
    try {
      const note = await store.create(noteFields(params(request)));
      return sendJson(reply, 200, note, { ETag: `"${note.etag}"` });
    } catch (error) {
      return sendError(reply, error);
    }
  });

  app.put(`${API}/v1/notes/:id`, async (request, reply) => {
    const store = storeFor(request, reply);
    if (!store) return reply;
    const id = noteId(request);
    if (id === null) return noRoute(reply);
    try {
      const note = await store.byId(id);
      // Helper::getNoteWithETagCheck: the quoted etag among a comma list; an unquoted one never matches.
      const ifMatch = request.headers['if-match'];
      if (ifMatch && !ifMatch.split(/,\s*/).includes(`"${note.data.etag}"`)) return sendJson(reply, 412, note.data);
      const updated = await store.update(note, noteFields(params(request)));
      return sendJson(reply, 200, updated, { ETag: `"${updated.etag}"` });
    } catch (error) {
      return sendError(reply, error);
    }
  });

  app.delete(`${API}/v1/notes/:id`, async (request, reply) => {
    const store = storeFor(request, reply);
    if (!store) return reply;
    const id = noteId(request);
    if (id === null) return noRoute(reply);
    try {
      await store.delete(await store.byId(id));
      return sendJson(reply, 200, []);
    } catch (error) {
      return sendError(reply, error);
    }
  });

  const getSettings = async (request: FastifyRequest, reply: FastifyReply) => {
    const store = storeFor(request, reply);
    if (!store) return reply;
    return sendJson(reply, 200, store.settings);
  };
  app.get(`${API}/v1/settings`, getSettings);
  app.get(`${API}/v1.4/settings`, getSettings);
  app.put(`${API}/v1/settings`, async (request, reply) => {
    const store = storeFor(request, reply);
    if (!store) return reply;
    store.settings = updatedSettings(store.settings, params(request));
    return sendJson(reply, 200, store.settings);
  });

  // The app's catch-all route (NotesApiController::fail).
  app.get(`${API}/*`, async (request, reply) => {
    if (!requireAppUser(ctx, 'notes', request, reply)) return reply;
    return sendJson(reply, 400, []);
  });
}
