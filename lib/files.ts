// Files of the acting user over WebDAV, sent through the user's HTTP client (see `custom` for why not through
// the `webdav` package). Nextcloud's own properties, SEARCH and precondition headers are built here.
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { InvalidArgumentError, NextcloudError, isNextcloudError, printable, reworded, wellFormed } from './errors.js';
import type { HttpClient } from './http.js';
import { answerKind, humanPath, unexpectedAnswer } from './http.js';
import type { XmlNode } from './dav-xml.js';
import { NS, clark, eachMultistatusResponse, escapeXml } from './dav-xml.js';

export interface Permissions {
  read: boolean;
  write: boolean;
  create: boolean;
  delete: boolean;
  rename: boolean;
  share: boolean;
  /** Received through a share. */
  shared: boolean;
  /** On mounted storage (external, group folder). */
  mounted: boolean;
}

export interface FileEntry {
  /** Path in the user's namespace, e.g. /Shared/Plans/Roadmap.md. */
  path: string;
  name: string;
  type: 'file' | 'folder';
  fileId: number | null;
  size: number;
  etag: string | null;
  lastModified: string | null;
  contentType: string | null;
  permissions: Permissions;
  /** The raw oc:permissions letters. */
  permissionLetters: string;
  ownerId: string | null;
  ownerDisplayName: string | null;
  shareTypes: number[];
  mountType: string;
  isMountRoot: boolean;
  favorite: boolean;
}

/** Letters per DavUtil::getDavPermissions: S R M G D NV W CK. */
export function parsePermissions(letters: string, type: 'file' | 'folder'): Permissions {
  return {
    read: letters.includes('G') || letters === '',
    write: type === 'file' ? letters.includes('W') : letters.includes('CK') || letters.includes('C'),
    create: type === 'folder' && (letters.includes('CK') || letters.includes('C')),
    delete: letters.includes('D'),
    rename: letters.includes('N') || letters.includes('V'),
    share: letters.includes('R'),
    shared: letters.includes('S'),
    mounted: letters.includes('M'),
  };
}

const PROPS = `<d:displayname/><d:resourcetype/><d:getetag/><d:getlastmodified/><d:getcontenttype/><d:getcontentlength/>
<oc:fileid/><oc:permissions/><oc:size/><oc:favorite/><oc:owner-id/><oc:owner-display-name/><oc:share-types/>
<nc:mount-type/><nc:is-mount-root/>`;
const NAMESPACES = `xmlns:d="DAV:" xmlns:oc="${NS.oc}" xmlns:nc="${NS.nc}" xmlns:ocs="${NS.ocs}"`;
const RESOURCETYPE = clark(NS.dav, 'resourcetype');
const COLLECTION = clark(NS.dav, 'collection');
const ETAG = clark(NS.dav, 'getetag');
const LASTMODIFIED = clark(NS.dav, 'getlastmodified');
const CONTENTTYPE = clark(NS.dav, 'getcontenttype');
const CONTENTLENGTH = clark(NS.dav, 'getcontentlength');
const FILEID = clark(NS.oc, 'fileid');
const PERMISSIONS = clark(NS.oc, 'permissions');
const SIZE = clark(NS.oc, 'size');
const FAVORITE = clark(NS.oc, 'favorite');
const OWNER_ID = clark(NS.oc, 'owner-id');
const OWNER_NAME = clark(NS.oc, 'owner-display-name');
const SHARE_TYPES = clark(NS.oc, 'share-types');
const SHARE_TYPE = clark(NS.oc, 'share-type');
const MOUNT_TYPE = clark(NS.nc, 'mount-type');
const MOUNT_ROOT = clark(NS.nc, 'is-mount-root');
/** The properties toEntry reads; the reader drops every other one (d:displayname too: the name comes from the href). */
export const ENTRY_PROPS: ReadonlySet<string> = new Set([
  RESOURCETYPE,
  ETAG,
  LASTMODIFIED,
  CONTENTTYPE,
  CONTENTLENGTH,
  FILEID,
  PERMISSIONS,
  SIZE,
  FAVORITE,
  OWNER_ID,
  OWNER_NAME,
  SHARE_TYPES,
  MOUNT_TYPE,
  MOUNT_ROOT,
]);
const PROPFIND_BODY = `<?xml version="1.0" encoding="UTF-8"?><d:propfind ${NAMESPACES}><d:prop>${PROPS}</d:prop></d:propfind>`;
const VERSION_BODY = `<?xml version="1.0" encoding="UTF-8"?><d:propfind xmlns:d="DAV:"><d:prop><d:getetag/><d:resourcetype/></d:prop></d:propfind>`;

export type FileQuery = {
  /** Case-insensitive substring of the file name. */
  nameContains?: string;
  /** A MIME type, or a family such as image/ or text/. */
  mimeType?: string;
  modifiedAfter?: Date;
  modifiedBefore?: Date;
  /** Folder to search under (default: the whole home). */
  under?: string;
  type?: 'file' | 'folder';
  favorite?: boolean;
  orderBy?: 'name' | 'modified' | 'size';
  descending?: boolean;
  limit?: number;
  offset?: number;
};

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

/** Normalises a user path and refuses dot segments, so no spelling can leave the user's tree. */
export function normalizePath(path: string): string {
  // A lone surrogate cannot be percent-encoded (encodeURIComponent throws) and names no file.
  wellFormed(path, `The path "${printable(path)}"`);
  const segments = path
    .replaceAll('\\', '/')
    .split('/')
    .filter((segment) => segment !== '' && segment !== '.');
  if (segments.some((segment) => segment === '..')) throw new InvalidArgumentError(`The path "${path}" may not contain "..".`);
  return `/${segments.join('/')}`;
}

function encodePath(path: string): string {
  return normalizePath(path).split('/').map(encodeURIComponent).join('/');
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

/** An href that is its own URL path: absolute, nothing a URL parser would encode, resolve or cut off. */
const PLAIN_HREF = /^\/(?!\/)[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*$/;
const DOT_SEGMENT = /%2e|\/\.\.?(?:\/|$)/i;

const textOf = (found: Record<string, XmlNode[]>, key: string) => found[key]?.[0]?.text;
const numberOf = (text: string | undefined) => (text === undefined || text === '' ? null : Number(text));

const MONTHS: Record<string, string> = {
  Jan: '01',
  Feb: '02',
  Mar: '03',
  Apr: '04',
  May: '05',
  Jun: '06',
  Jul: '07',
  Aug: '08',
  Sep: '09',
  Oct: '10',
  Nov: '11',
  Dec: '12',
};
/** HTTP's own date format, as Nextcloud writes d:getlastmodified: "Thu, 03 Dec 2026 10:16:09 GMT". */
const HTTP_DATE = /^[A-Z][a-z]{2}, (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;

/** A date as ISO 8601; HTTP dates are rewritten directly, anything else goes through Date. */
function isoDate(text: string): string {
  const match = HTTP_DATE.exec(text);
  const month = match && MONTHS[match[2]!];
  // Days past the 28th, hours past 23 and the like are left to Date, which rolls them over.
  if (match && month && match[1]! >= '01' && match[1]! <= '28' && match[4]! <= '23' && match[5]! <= '59' && match[6]! <= '59') {
    return `${match[3]}-${month}-${match[1]}T${match[4]}:${match[5]}:${match[6]}.000Z`;
  }
  return new Date(text).toISOString();
}

/**
 * Makes FileEntry values of the d:response elements of one user's files (davRoot: /remote.php/dav/files/<user>).
 * Exported for measuring; filesClient is its user.
 */
export function fileEntryReader(
  baseUrl: string,
  davRoot: string,
): (href: string, props: XmlNode, method: string, requestPath: string) => FileEntry {
  // hrefs are absolute paths on the host: with Nextcloud under a path (https://host/nextcloud) they start with it.
  const hrefPrefix = decodeURIComponent(new URL(baseUrl).pathname.replace(/\/+$/, '') + davRoot);
  return (href, props, method, requestPath) => {
    let decoded: string;
    try {
      // Nextcloud's hrefs are plain encoded paths; only others need a URL parser to read them as a browser would.
      const pathname = PLAIN_HREF.test(href) && !DOT_SEGMENT.test(href) ? href : new URL(href, baseUrl).pathname;
      decoded = decodeURIComponent(pathname).normalize('NFC');
    } catch (error) {
      throw unexpectedAnswer(method, requestPath, `an entry whose href is not a valid URL path (${href.slice(0, 200)})`, 207, error);
    }
    const relative = decoded.startsWith(hrefPrefix) ? decoded.slice(hrefPrefix.length) : decoded;
    let end = relative.length;
    while (end > 0 && relative.charCodeAt(end - 1) === 0x2f) end--;
    const path = end === 0 ? '/' : relative.slice(0, end);
    const found = props.children;
    const isFolder = found[RESOURCETYPE]?.[0]?.children[COLLECTION] !== undefined;
    const type = isFolder ? 'folder' : 'file';
    const letters = textOf(found, PERMISSIONS) ?? '';
    const modified = textOf(found, LASTMODIFIED);
    return {
      path,
      name: path === '/' ? '' : path.slice(path.lastIndexOf('/') + 1),
      type,
      fileId: numberOf(textOf(found, FILEID)),
      size: numberOf(textOf(found, SIZE)) ?? numberOf(textOf(found, CONTENTLENGTH)) ?? 0,
      etag: textOf(found, ETAG) ?? null,
      lastModified: modified ? isoDate(modified) : null,
      contentType: isFolder ? null : (textOf(found, CONTENTTYPE) ?? null),
      permissions: parsePermissions(letters, type),
      permissionLetters: letters,
      ownerId: textOf(found, OWNER_ID) ?? null,
      ownerDisplayName: textOf(found, OWNER_NAME) ?? null,
      shareTypes: (found[SHARE_TYPES]?.[0]?.children[SHARE_TYPE] ?? []).map((node) => Number(node.text)),
      mountType: textOf(found, MOUNT_TYPE) ?? '',
      isMountRoot: textOf(found, MOUNT_ROOT) === 'true',
      favorite: textOf(found, FAVORITE) === '1',
    };
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

function toNodeStream(body: unknown): Readable {
  if (!body) return Readable.from([]);
  if (body instanceof Readable) return body;
  if (typeof (body as { getReader?: unknown }).getReader === 'function') return Readable.fromWeb(body as WebReadableStream);
  return Readable.from(body as AsyncIterable<Uint8Array>);
}

export interface GuardOptions {
  /** Longest wait for the next chunk while the reader wants data. */
  idleMs: number;
  /** Bytes to drop from the start, and how many to deliver after that (null: all). */
  skip: number;
  take: number | null;
  /** Bytes the answer says it holds (Content-Length, or the span of Content-Range), when it says. */
  expected?: number | null;
  /** The error for a body that holds fewer or more bytes than announced (cut by a proxy, or not the file at all). */
  onMismatch?(received: number, expected: number): Error;
  /** Cancels the underlying request (end of window reached, reader gave up, stall). */
  abort(): void;
  onIdle(): Error;
  onError(error: Error): Error;
}

/**
 * Passes a download through with back-pressure, and ends it with an error when Nextcloud stalls. The idle
 * timer runs only while the reader is asking for data, so a slow reader is never blamed on Nextcloud.
 */
export function guardBody(source: Readable, options: GuardOptions): Readable {
  let timer: NodeJS.Timeout | undefined;
  let skip = options.skip;
  let remaining = options.take;
  let received = 0;
  let finished = false;
  const mismatch = (count: number, expected: number) =>
    options.onMismatch?.(count, expected) ??
    options.onError(new Error(`the answer held ${count > expected ? 'at least ' : 'only '}${count} bytes where it announced ${expected}`));
  const disarm = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };
  const arm = () => {
    if (timer || finished) return;
    timer = setTimeout(() => out.destroy(options.onIdle()), options.idleMs);
  };
  const finish = () => {
    finished = true;
    disarm();
  };
  const out = new Readable({
    read() {
      arm();
      source.resume();
    },
    destroy(error, callback) {
      const early = !finished;
      finish();
      source.destroy();
      if (early || error) options.abort();
      callback(error);
    },
  });
  source.pause();
  source.on('data', (chunk: Buffer | Uint8Array | string) => {
    if (finished) return;
    disarm();
    let piece = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    received += piece.length;
    if (options.expected !== undefined && options.expected !== null && received > options.expected) {
      out.destroy(mismatch(received, options.expected));
      return;
    }
    if (skip > 0) {
      const dropped = Math.min(skip, piece.length);
      piece = piece.subarray(dropped);
      skip -= dropped;
    }
    if (remaining !== null && piece.length >= remaining) {
      piece = piece.subarray(0, remaining);
      remaining = 0;
    } else if (remaining !== null) {
      remaining -= piece.length;
    }
    const room = piece.length === 0 ? true : out.push(piece);
    if (remaining === 0) {
      // The window is complete: stop the download instead of draining the rest of the file.
      finish();
      out.push(null);
      source.destroy();
      options.abort();
      return;
    }
    if (!room) source.pause();
    else if (piece.length === 0) arm();
  });
  source.once('end', () => {
    if (finished) return;
    // An answer that ends cleanly but short (a proxy that cut it) is not the file: never a shorter text.
    if (options.expected !== undefined && options.expected !== null && received < options.expected) {
      out.destroy(mismatch(received, options.expected));
      return;
    }
    finish();
    out.push(null);
  });
  source.on('error', (error: Error) => {
    if (finished) return;
    out.destroy(isNextcloudError(error) ? error : options.onError(error));
  });
  return out;
}

export function searchBody(userId: string, query: FileQuery): string {
  const conditions: string[] = [];
  const prop = (ns: 'd' | 'oc', name: string) => `<d:prop><${ns}:${name}/></d:prop>`;
  const literal = (value: string) => `<d:literal>${escapeXml(value)}</d:literal>`;
  // LIKE has no escape here: % and _ in the term become _ (any one character), a superset the caller narrows.
  if (query.nameContains)
    conditions.push(`<d:like>${prop('d', 'displayname')}${literal(`%${query.nameContains.replace(/%/g, '_')}%`)}</d:like>`);
  if (query.mimeType) {
    const family = query.mimeType.endsWith('/') || query.mimeType.endsWith('/*');
    conditions.push(
      family
        ? `<d:like>${prop('d', 'getcontenttype')}${literal(`${query.mimeType.replace(/\*$/, '').replace(/\/?$/, '/')}%`)}</d:like>`
        : `<d:eq>${prop('d', 'getcontenttype')}${literal(query.mimeType)}</d:eq>`,
    );
  }
  if (query.modifiedAfter)
    conditions.push(`<d:gt>${prop('d', 'getlastmodified')}${literal(String(Math.floor(query.modifiedAfter.getTime() / 1000)))}</d:gt>`);
  if (query.modifiedBefore)
    conditions.push(`<d:lt>${prop('d', 'getlastmodified')}${literal(String(Math.floor(query.modifiedBefore.getTime() / 1000)))}</d:lt>`);
  if (query.type === 'folder') conditions.push('<d:is-collection/>');
  if (query.type === 'file') conditions.push('<d:not><d:is-collection/></d:not>');
  if (query.favorite) conditions.push(`<d:eq>${prop('oc', 'favorite')}${literal('yes')}</d:eq>`);
  // SEARCH needs a where clause; "size >= 0" matches everything.
  if (conditions.length === 0) conditions.push(`<d:gte>${prop('oc', 'size')}${literal('0')}</d:gte>`);
  const where = conditions.length === 1 ? conditions[0] : `<d:and>${conditions.join('')}</d:and>`;
  const orderProp = { name: prop('d', 'displayname'), modified: prop('d', 'getlastmodified'), size: prop('oc', 'size') }[
    query.orderBy ?? 'modified'
  ];
  const direction = (query.descending ?? query.orderBy !== 'name') ? '<d:descending/>' : '<d:ascending/>';
  const scope = `/files/${encodeURIComponent(userId)}${query.under ? encodePath(query.under).replace(/\/$/, '') : ''}`;
  const limit = Math.min(Math.max(query.limit ?? 50, 1), 500);
  return `<?xml version="1.0" encoding="UTF-8"?>
<d:searchrequest ${NAMESPACES} xmlns:ns="https://github.com/icewind1991/SearchDAV/ns">
<d:basicsearch>
<d:select><d:prop>${PROPS}</d:prop></d:select>
<d:from><d:scope><d:href>${escapeXml(scope)}</d:href><d:depth>infinity</d:depth></d:scope></d:from>
<d:where>${where}</d:where>
<d:orderby><d:order>${orderProp}${direction}</d:order></d:orderby>
<d:limit><d:nresults>${limit}</d:nresults><ns:firstresult>${Math.max(query.offset ?? 0, 0)}</ns:firstresult></d:limit>
</d:basicsearch>
</d:searchrequest>`;
}
