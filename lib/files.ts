// Files of the acting user over WebDAV, sent through the user's HTTP client (see `custom` for why not through
// the `webdav` package). The requests and their precondition headers are built here; what an entry is and which
// properties it is read from (file-entries.ts), the SEARCH body (file-search.ts) and the guard of a download
// (body-guard.ts) live in modules of their own.
import type { Readable } from 'node:stream';
import { InvalidArgumentError, NextcloudError, isNextcloudError, reworded, wellFormed } from './errors.js';
import type { HttpClient } from './http.js';
import { answerKind, humanPath, unexpectedAnswer } from './http.js';
import { eachMultistatusResponse } from './dav-xml.js';
import { guardBody, toNodeStream } from './body-guard.js';
import type { FileEntry } from './file-entries.js';
import { ENTRY_PROPS, NAMESPACES, PROPS, fileEntryReader } from './file-entries.js';
import { encodePath, normalizePath } from './file-paths.js';
import type { FileQuery } from './file-search.js';
import { searchBody } from './file-search.js';

const PROPFIND_BODY = `<?xml version="1.0" encoding="UTF-8"?><d:propfind ${NAMESPACES}><d:prop>${PROPS}</d:prop></d:propfind>`;
const VERSION_BODY = `<?xml version="1.0" encoding="UTF-8"?><d:propfind xmlns:d="DAV:"><d:prop><d:getetag/><d:resourcetype/></d:prop></d:propfind>`;

export interface ReadResult {
  /** The bytes, streamed as they arrive; never buffered whole. */
  stream: Readable;
  /** Bytes this stream will deliver (the range length for ranged reads), when known. */
  length: number | null;
  /** Size of the whole file, when known. */
  size: number | null;
  etag: string | null;
  /** The Content-Type of the answer (Nextcloud serves some types as a safer one, e.g. HTML as text/plain). */
  contentType: string | null;
  /** Last change of the file (Last-Modified), ISO 8601, when known. */
  lastModified: string | null;
  /** The file id, when the answer names it (OC-FileId: Nextcloud sends it on writes, not with a download). */
  fileId: number | null;
  /** True when only a range of the file is delivered. */
  partial: boolean;
}

/** A folder as one PROPFIND (Depth 1) answers it. */
export interface Listing {
  /** The folder itself (its etag changes whenever anything inside changes), when the answer includes it. */
  node: FileEntry | null;
  /** What is inside; for a file, the file itself. */
  entries: FileEntry[];
}

export interface FilesClient {
  list(path: string): Promise<FileEntry[]>;
  /** Like list, with the folder's own entry. */
  listing(path: string): Promise<Listing>;
  /** The etag and type of a file or folder alone: a cheap check whether a folder changed. */
  version(path: string): Promise<{ etag: string | null; type: 'file' | 'folder' }>;
  stat(path: string): Promise<FileEntry>;
  /** `range` is inclusive on both ends, as in HTTP (start 0, end 99 = the first 100 bytes). */
  read(path: string, options?: { range?: { start: number; end: number }; signal?: AbortSignal }): Promise<ReadResult>;
  readText(
    path: string,
    options: { maxBytes: number },
  ): Promise<{ text: string; truncated: boolean; size: number | null; etag: string | null }>;
  write(
    path: string,
    data: string | Uint8Array,
    options?: { ifMatch?: string; ifNoneMatch?: boolean; contentType?: string },
  ): Promise<{ etag: string | null; fileId: number | null; created: boolean }>;
  mkdir(path: string): Promise<void>;
  move(from: string, to: string, options?: { overwrite?: boolean }): Promise<void>;
  copy(from: string, to: string, options?: { overwrite?: boolean }): Promise<void>;
  /** Moves the node to the trash bin (never a permanent delete). */
  delete(path: string): Promise<void>;
  search(query: FileQuery): Promise<FileEntry[]>;
}

export function filesClient(http: HttpClient, timeoutMs: number): FilesClient {
  const userId = http.userId;
  const davRoot = `/remote.php/dav/files/${encodeURIComponent(userId)}`;
  const davPath = (path: string) => `${davRoot}${encodePath(path)}`;
  const destination = (path: string) => `${http.baseUrl}${davRoot}${encodePath(path)}`;

  /**
   * One WebDAV request, sent through the user's HTTP client like every other request: its timeout, its error
   * path, its injectable fetch, and no redirect followed. The `webdav` package is not used for this: every
   * request here needs a body, headers or answer headers its convenience methods do not expose (Nextcloud's
   * properties, SEARCH, Range, preconditions, OC-ETag), so only its customRequest would be left, which adds
   * nothing but a transport of its own (node-fetch, following redirects with the app secret attached) that can
   * only be replaced for the whole process.
   */
  const custom = async (
    method: string,
    path: string,
    options: {
      headers?: Record<string, string>;
      body?: string | Uint8Array;
      requestPath?: string;
      signal?: AbortSignal;
      headersOnly?: boolean;
      expect?: { statuses: number[]; meaning: string };
    } = {},
  ): Promise<Response> => {
    const requestPath = options.requestPath ?? davPath(path);
    // The cast: TypeScript's BodyInit takes only ArrayBuffer-backed views, while fetch sends any Uint8Array as it is.
    const response = await http
      .request(method, requestPath, {
        headers: options.headers,
        body: options.body as BodyInit | undefined,
        signal: options.signal,
        headersOnly: options.headersOnly,
      })
      .catch((error: unknown) => {
        throw isNextcloudError(error, 'forbidden') ? withForbiddenHint(error, method, requestPath) : error;
      });
    // A change is done only when Nextcloud says so in WebDAV's terms; a 200 page from something in between is not.
    if (options.expect && !options.expect.statuses.includes(response.status)) {
      await response.body?.cancel().catch(() => undefined);
      throw unexpectedAnswer(method, requestPath, `${answerKind(response)} instead of ${options.expect.meaning}`, response.status);
    }
    return response;
  };

  /** A 403 on a write is nearly always a read-only share; say so in the user's terms. */
  const withForbiddenHint = (failure: NextcloudError, method: string, path: string) => {
    const writing = !['GET', 'PROPFIND', 'SEARCH', 'REPORT'].includes(method);
    if (!writing) return failure;
    return reworded(
      failure,
      `${userId} may not change ${humanPath(path)}: Nextcloud refused the ${method} (403 Forbidden), e.g. because it is in a folder shared read-only with ${userId}.`,
    );
  };

  /** A refused MOVE or COPY may be about the target (a read-only share), not the source: name both. */
  const transfer = async (method: 'MOVE' | 'COPY', from: string, to: string, action: () => Promise<unknown>) => {
    try {
      await action();
    } catch (error) {
      if (!isNextcloudError(error, 'forbidden')) throw error;
      const verb = method === 'MOVE' ? 'move' : 'copy';
      const culprit = method === 'MOVE' ? 'its folder or the target folder' : 'the target folder';
      throw reworded(
        error,
        `${userId} may not ${verb} ${normalizePath(from)} to ${normalizePath(to)}: Nextcloud refused the ${method} (403 Forbidden), e.g. because ${culprit} is shared read-only with ${userId}.`,
      );
    }
  };

  const toEntry = fileEntryReader(http.baseUrl, davRoot);

  /** The entries of a multistatus, each made into a FileEntry as soon as it is read. */
  const multistatus = async (response: Response, method: string, path: string) => {
    const entries: FileEntry[] = [];
    await eachMultistatusResponse(response, method, path, (entry) => entries.push(toEntry(entry.href, entry.props, method, path)), {
      props: ENTRY_PROPS,
    });
    return entries;
  };

  const propfind = async (path: string, depth: '0' | '1') => {
    const response = await custom('PROPFIND', path, {
      headers: { Depth: depth, 'Content-Type': 'application/xml; charset=utf-8' },
      body: PROPFIND_BODY,
    });
    return multistatus(response, 'PROPFIND', davPath(path));
  };

  /** A Depth 0 PROPFIND whose multistatus names nothing at all. */
  const answeredNothing = (path: string) =>
    new NextcloudError({
      code: 'protocol',
      method: 'PROPFIND',
      path: davPath(path),
      message: `Nextcloud returned nothing for ${normalizePath(path)}.`,
    });

  const stat = async (path: string) => {
    const [entry] = await propfind(path, '0');
    if (!entry) throw answeredNothing(path);
    return entry;
  };

  const listing = async (path: string): Promise<Listing> => {
    const entries = await propfind(path, '1');
    const self = normalizePath(path).normalize('NFC');
    const node = entries.find((entry) => entry.path === self) ?? null;
    const others = entries.filter((entry) => entry.path !== self);
    // Listing a file answers with the file itself, like `ls file`.
    return { node, entries: others.length === 0 && entries[0]?.type === 'file' ? [entries[0]] : others };
  };

  return {
    async list(path) {
      return (await listing(path)).entries;
    },

    listing,

    async version(path) {
      const response = await custom('PROPFIND', path, {
        headers: { Depth: '0', 'Content-Type': 'application/xml; charset=utf-8' },
        body: VERSION_BODY,
      });
      const [entry] = await multistatus(response, 'PROPFIND', davPath(path));
      if (!entry) throw answeredNothing(path);
      return { etag: entry.etag, type: entry.type };
    },

    stat,

    async read(path, options = {}) {
      const range = options.range;
      if (range && !(Number.isInteger(range.start) && Number.isInteger(range.end) && range.start >= 0 && range.end >= range.start)) {
        throw new InvalidArgumentError(`The byte range ${range.start}-${range.end} is not a valid range.`);
      }
      const headers: Record<string, string> = {};
      if (range) headers.Range = `bytes=${range.start}-${range.end}`;
      // The timeout covers waiting for the answer; once bytes flow, a stall longer than the timeout ends the
      // stream instead, so a large file is not cut off just because reading it takes long.
      const download = new AbortController();
      const signal = options.signal ? AbortSignal.any([options.signal, download.signal]) : download.signal;
      const response = await custom('GET', path, { headers, signal, headersOnly: true }).catch((error: unknown) => {
        // Plain SabreDAV has no GET for a collection (501 Not Implemented).
        if (!isNextcloudError(error) || error.status !== 501) throw error;
        throw folderRead(path, davPath(path), error.status);
      });
      let etag = response.headers.get('oc-etag') ?? response.headers.get('etag');
      const modified = response.headers.get('last-modified');
      let lastModified = modified && !Number.isNaN(Date.parse(modified)) ? new Date(modified).toISOString() : null;
      let fileId = parseOcFileId(response.headers.get('oc-fileid'));
      if (etag === null) {
        // Nextcloud answers a GET on a folder with 200 and a line of text ("This is the WebDAV interface...") and
        // no ETag, while every download of a file carries one (and OC-ETag, its copy for proxies that strip ETag).
        // Without either, what the path is is asked before any byte is handed out as the file's content; an
        // answer that is no download at all (a login page) fails that question too.
        let node: FileEntry;
        try {
          node = await stat(path);
        } catch (error) {
          await response.body?.cancel().catch(() => undefined);
          throw error;
        }
        if (node.type === 'folder') {
          await response.body?.cancel().catch(() => undefined);
          throw folderRead(path, davPath(path), response.status);
        }
        ({ etag, lastModified, fileId } = node);
      }
      const contentRange = response.headers.get('content-range');
      const contentLength = response.headers.get('content-length');
      const answered = contentLength === null ? null : Number(contentLength);
      const partial = response.status === 206;
      // A server that ignores Range sends the whole file (200); cut the window out here.
      const window = range && !partial ? { skip: range.start, take: range.end - range.start + 1 } : { skip: 0, take: null };
      const size = partial ? Number(contentRange?.split('/')[1]) || null : answered;
      // What the body must hold: a compressed answer's Content-Length counts other bytes than those read.
      const span = partial ? /^bytes (\d+)-(\d+)\//.exec(contentRange ?? '') : null;
      const encoding = response.headers.get('content-encoding');
      const expected = span ? Number(span[2]) - Number(span[1]) + 1 : encoding && encoding.toLowerCase() !== 'identity' ? null : answered;
      return {
        stream: guardBody(toNodeStream(response.body), {
          idleMs: timeoutMs,
          ...window,
          expected: expected !== null && Number.isSafeInteger(expected) ? expected : null,
          abort: () => download.abort(),
          onIdle: () =>
            new NextcloudError({
              code: 'timeout',
              method: 'GET',
              path: davPath(path),
              message: `Nextcloud stopped sending ${normalizePath(path)} for ${timeoutMs} ms.`,
            }),
          onError: (error) =>
            new NextcloudError({
              code: 'unavailable',
              method: 'GET',
              path: davPath(path),
              message: `Reading ${normalizePath(path)} from Nextcloud broke off: ${error.message}`,
              cause: error,
            }),
          onMismatch: (count, announced) =>
            unexpectedAnswer(
              'GET',
              davPath(path),
              `${count > announced ? 'at least ' : ''}${count} bytes where it announced ${announced} (${partial ? 'Content-Range' : 'Content-Length'})`,
              response.status,
            ),
        }),
        length: window.take === null ? answered : size === null ? window.take : Math.max(0, Math.min(window.take, size - window.skip)),
        size,
        etag,
        contentType: response.headers.get('content-type'),
        lastModified,
        fileId,
        partial: range !== undefined,
      };
    },

    async readText(path, { maxBytes }) {
      let result: ReadResult;
      try {
        // One byte more than allowed tells whether there is more.
        result = await this.read(path, { range: { start: 0, end: maxBytes } });
      } catch (error) {
        // An empty file has no byte 0, so any range is unsatisfiable (416); read it plainly.
        if (!isNextcloudError(error) || error.status !== 416) throw error;
        result = await this.read(path);
      }
      const chunks: Buffer[] = [];
      let total = 0;
      for await (const chunk of result.stream) {
        const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
        chunks.push(buffer);
        total += buffer.length;
        if (total > maxBytes) {
          result.stream.destroy();
          break;
        }
      }
      const bytes = Buffer.concat(chunks);
      const size = result.size;
      const truncated = bytes.length > maxBytes || (size !== null && size > maxBytes);
      // Cut at a character boundary so a truncated multi-byte character does not turn into U+FFFD.
      let cut = Math.min(bytes.length, maxBytes);
      while (truncated && cut > 0 && (bytes[cut]! & 0xc0) === 0x80) cut--;
      return { text: bytes.subarray(0, cut).toString('utf8'), truncated, size, etag: result.etag };
    },

    async write(path, data, options = {}) {
      const headers: Record<string, string> = { 'Content-Type': options.contentType ?? 'application/octet-stream' };
      if (options.ifMatch) headers['If-Match'] = options.ifMatch;
      if (options.ifNoneMatch) headers['If-None-Match'] = '*';
      // The new ETag and file id are in the answer's headers.
      const response = await custom('PUT', path, {
        headers,
        body: data,
        expect: { statuses: [201, 204], meaning: 'a stored file (201 or 204)' },
      });
      return {
        etag: response.headers.get('oc-etag') ?? response.headers.get('etag'),
        fileId: parseOcFileId(response.headers.get('oc-fileid')),
        created: response.status === 201,
      };
    },

    async mkdir(path) {
      await custom('MKCOL', path, { expect: { statuses: [201], meaning: 'a created folder (201)' } });
    },

    async move(from, to, options = {}) {
      normalizePath(to);
      const moved = { statuses: [201, 204], meaning: 'a completed move (201 or 204)' };
      await transfer('MOVE', from, to, () =>
        custom('MOVE', from, {
          headers: { Destination: destination(to), Overwrite: options.overwrite === false ? 'F' : 'T' },
          expect: moved,
        }),
      );
    },

    async copy(from, to, options = {}) {
      const copied = { statuses: [201, 204], meaning: 'a completed copy (201 or 204)' };
      await transfer('COPY', from, to, () =>
        custom('COPY', from, {
          headers: { Destination: destination(to), Overwrite: options.overwrite === false ? 'F' : 'T' },
          expect: copied,
        }),
      );
    },

    async delete(path) {
      if (normalizePath(path) === '/') throw new InvalidArgumentError('Refusing to delete the home folder.');
      // A plain DELETE: Nextcloud moves the node to the trash bin (never X-NC-Skip-Trashbin).
      await custom('DELETE', path, { expect: { statuses: [204], meaning: 'a deletion (204)' } });
    },

    async search(query) {
      if (query.nameContains !== undefined) wellFormed(query.nameContains, 'The name to search for');
      if (query.mimeType !== undefined) wellFormed(query.mimeType, 'The MIME type to search for');
      const response = await custom('SEARCH', '/', {
        requestPath: '/remote.php/dav/',
        headers: { 'Content-Type': 'text/xml; charset=utf-8' },
        body: searchBody(userId, query),
      });
      const entries = await multistatus(response, 'SEARCH', '/remote.php/dav/');
      // Only when the term held LIKE wildcards can the server's matches be wider than "name contains".
      const term = query.nameContains?.toLowerCase();
      return term && /[%_]/.test(term) ? entries.filter((entry) => entry.name.toLowerCase().includes(term)) : entries;
    },
  };
}

/** Errors of reading a folder as if it were a file; see isFolderRead. */
const folderReads = new WeakSet<NextcloudError>();

function folderRead(path: string, requestPath: string, status: number): NextcloudError {
  const error = new NextcloudError({
    code: 'bad_request',
    status,
    method: 'GET',
    path: requestPath,
    message: `${normalizePath(path)} is a folder; only files can be read (list it instead).`,
  });
  folderReads.add(error);
  return error;
}

/** Whether `read` failed because the path is a folder. */
export function isFolderRead(error: unknown): boolean {
  return error instanceof NextcloudError && folderReads.has(error);
}

/** OC-FileId is the file id zero-padded to at least 8 digits followed by the instance id ("00004711oc9l3j5ur4db"). */
export function parseOcFileId(header: string | null): number | null {
  const digits = header ? /^\d+/.exec(header)?.[0] : undefined;
  return digits ? Number.parseInt(digits, 10) : null;
}
