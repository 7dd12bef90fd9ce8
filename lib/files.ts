// Files of the acting user over WebDAV. The `webdav` package carries the requests; Nextcloud's own
// properties, SEARCH and precondition headers need request bodies and headers it has no helpers for, so
// those go through its customRequest with bodies built here.
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { createClient } from 'webdav';
import type { WebDAVClient } from 'webdav';
import { NextcloudError, isNextcloudError } from './errors.js';
import type { HttpClient } from './http.js';
import { errorFromResponse, humanPath } from './http.js';
import type { XmlNode } from './dav-xml.js';
import { NS, child, children, escapeXml, parseMultistatus, text } from './dav-xml.js';

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
const PROPFIND_BODY = `<?xml version="1.0" encoding="UTF-8"?><d:propfind ${NAMESPACES}><d:prop>${PROPS}</d:prop></d:propfind>`;

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
  stream: Readable;
  /** Bytes in this answer (the range length for ranged reads). */
  length: number | null;
  /** Size of the whole file, when known. */
  totalSize: number | null;
  etag: string | null;
  contentType: string | null;
  partial: boolean;
}

export interface FilesClient {
  list(path: string): Promise<FileEntry[]>;
  stat(path: string): Promise<FileEntry>;
  read(path: string, options?: { range?: { start: number; end: number }; signal?: AbortSignal }): Promise<ReadResult>;
  readText(path: string, options: { maxBytes: number }): Promise<{ text: string; truncated: boolean; size: number | null; etag: string | null }>;
  write(path: string, data: string | Uint8Array, options?: { ifMatch?: string; ifNoneMatch?: boolean; contentType?: string }): Promise<{ etag: string | null; fileId: number | null; created: boolean }>;
  mkdir(path: string): Promise<void>;
  move(from: string, to: string, options?: { overwrite?: boolean }): Promise<void>;
  copy(from: string, to: string, options?: { overwrite?: boolean }): Promise<void>;
  /** Moves the node to the trash bin (never a permanent delete). */
  delete(path: string): Promise<void>;
  search(query: FileQuery): Promise<FileEntry[]>;
}

/** Normalises a user path and refuses dot segments, so no spelling can leave the user's tree. */
export function normalizePath(path: string): string {
  const segments = path.replaceAll('\\', '/').split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.some((segment) => segment === '..')) throw new TypeError(`The path "${path}" may not contain "..".`);
  return `/${segments.join('/')}`;
}

function encodePath(path: string): string {
  return normalizePath(path).split('/').map(encodeURIComponent).join('/');
}

export function filesClient(http: HttpClient, timeoutMs: number): FilesClient {
  const userId = http.userId;
  const davRoot = `/remote.php/dav/files/${encodeURIComponent(userId)}`;
  const client: WebDAVClient = createClient(`${http.baseUrl}${davRoot}`, { headers: http.authHeaders() });

  const call = async (method: string, path: string, options: { headers?: Record<string, string>; data?: string | Uint8Array; signal?: AbortSignal } = {}): Promise<Response> => {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    try {
      // webdav encodes the path itself, and in Node answers with node-fetch's Response (a Node stream body).
      return (await client.customRequest(normalizePath(path), { method, headers: options.headers, data: options.data, signal })) as unknown as Response;
    } catch (error) {
      throw await toNextcloudError(error, method, `${davRoot}${normalizePath(path)}`, timeout.aborted);
    }
  };

  const toNextcloudError = async (error: unknown, method: string, path: string, timedOut: boolean): Promise<NextcloudError> => {
    if (isNextcloudError(error)) return error;
    if (timedOut) return new NextcloudError({ code: 'timeout', method, path, message: `Nextcloud did not answer ${method} ${humanPath(path)} within ${timeoutMs} ms.`, cause: error });
    const response = (error as { response?: Response }).response;
    if (response) {
      const failure = await errorFromResponse(response, method, path, userId);
      return failure.code === 'forbidden' ? withForbiddenHint(failure, method, path) : failure;
    }
    return new NextcloudError({ code: 'unavailable', method, path, message: `Nextcloud could not be reached for ${method} ${humanPath(path)}: ${(error as Error).message}`, cause: error });
  };

  const withForbiddenHint = (failure: NextcloudError, method: string, path: string) => {
    const writing = !['GET', 'PROPFIND', 'SEARCH', 'REPORT'].includes(method);
    if (!writing) return failure;
    return new NextcloudError({
      code: 'forbidden',
      status: failure.status,
      remoteMessage: failure.remoteMessage,
      method,
      path,
      message: `${userId} may not change ${humanPath(path)}: Nextcloud refused the ${method} (403 Forbidden), e.g. because it is in a folder shared read-only with ${userId}.${failure.remoteMessage ? ` Nextcloud said: ${failure.remoteMessage}` : ''}`,
    });
  };

  const toEntry = (href: string, props: XmlNode): FileEntry => {
    const decoded = decodeURIComponent(new URL(href, http.baseUrl).pathname);
    const prefix = decodeURIComponent(davRoot);
    const relative = decoded.startsWith(prefix) ? decoded.slice(prefix.length) : decoded;
    const path = relative.replace(/\/+$/, '') || '/';
    const isFolder = child(child(props, NS.dav, 'resourcetype'), NS.dav, 'collection') !== undefined;
    const type = isFolder ? 'folder' : 'file';
    const letters = text(child(props, NS.oc, 'permissions')) ?? '';
    const number = (value: string | undefined) => (value === undefined || value === '' ? null : Number(value));
    const modified = text(child(props, NS.dav, 'getlastmodified'));
    return {
      path,
      name: path === '/' ? '' : path.slice(path.lastIndexOf('/') + 1),
      type,
      fileId: number(text(child(props, NS.oc, 'fileid'))),
      size: number(text(child(props, NS.oc, 'size'))) ?? number(text(child(props, NS.dav, 'getcontentlength'))) ?? 0,
      etag: text(child(props, NS.dav, 'getetag')) ?? null,
      lastModified: modified ? new Date(modified).toISOString() : null,
      contentType: isFolder ? null : (text(child(props, NS.dav, 'getcontenttype')) ?? null),
      permissions: parsePermissions(letters, type),
      permissionLetters: letters,
      ownerId: text(child(props, NS.oc, 'owner-id')) ?? null,
      ownerDisplayName: text(child(props, NS.oc, 'owner-display-name')) ?? null,
      shareTypes: children(child(props, NS.oc, 'share-types'), NS.oc, 'share-type').map((node) => Number(text(node))),
      mountType: text(child(props, NS.nc, 'mount-type')) ?? '',
      isMountRoot: text(child(props, NS.nc, 'is-mount-root')) === 'true',
      favorite: text(child(props, NS.oc, 'favorite')) === '1',
    };
  };

  const propfind = async (path: string, depth: '0' | '1') => {
    const response = await call('PROPFIND', path, { headers: { Depth: depth, 'Content-Type': 'application/xml; charset=utf-8' }, data: PROPFIND_BODY });
    return parseMultistatus(await response.text()).map((entry) => toEntry(entry.href, entry.props));
  };

  return {
    async list(path) {
      const entries = await propfind(path, '1');
      const self = normalizePath(path);
      return entries.filter((entry) => entry.path !== self);
    },

    async stat(path) {
      const [entry] = await propfind(path, '0');
      if (!entry) throw new NextcloudError({ code: 'protocol', method: 'PROPFIND', path, message: `Nextcloud returned nothing for ${path}.` });
      return entry;
    },

    async read(path, options = {}) {
      const headers: Record<string, string> = {};
      if (options.range) headers.Range = `bytes=${options.range.start}-${options.range.end}`;
      const response = await call('GET', path, { headers, signal: options.signal });
      const contentRange = response.headers.get('content-range');
      const length = response.headers.get('content-length');
      return {
        stream: toNodeStream(response.body),
        length: length === null ? null : Number(length),
        totalSize: contentRange ? Number(contentRange.split('/')[1]) || null : length === null ? null : Number(length),
        etag: response.headers.get('etag'),
        contentType: response.headers.get('content-type'),
        partial: response.status === 206,
      };
    },

    async readText(path, { maxBytes }) {
      const result = await this.read(path, { range: { start: 0, end: maxBytes } });
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
      const size = result.totalSize;
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
      const response = await call('PUT', path, { headers, data: typeof data === 'string' ? Buffer.from(data, 'utf8') : data });
      const fileId = response.headers.get('oc-fileid');
      return {
        etag: response.headers.get('oc-etag') ?? response.headers.get('etag'),
        fileId: fileId ? Number.parseInt(fileId.slice(0, 8), 10) : null,
        created: response.status === 201,
      };
    },

    async mkdir(path) {
      await call('MKCOL', path);
    },

    async move(from, to, options = {}) {
      await call('MOVE', from, { headers: { Destination: `${http.baseUrl}${davRoot}${encodePath(to)}`, Overwrite: options.overwrite === false ? 'F' : 'T' } });
    },

    async copy(from, to, options = {}) {
      await call('COPY', from, { headers: { Destination: `${http.baseUrl}${davRoot}${encodePath(to)}`, Overwrite: options.overwrite === false ? 'F' : 'T' } });
    },

    async delete(path) {
      if (normalizePath(path) === '/') throw new TypeError('Refusing to delete the home folder.');
      await call('DELETE', path);
    },

    async search(query) {
      const body = searchBody(userId, query);
      const timeout = AbortSignal.timeout(timeoutMs);
      const url = `${http.baseUrl}/remote.php/dav/`;
      let response: Response;
      try {
        // SEARCH goes to the DAV root, outside the client's files base URL.
        response = await http.fetch(url, { method: 'SEARCH', headers: { ...http.authHeaders(), 'Content-Type': 'text/xml; charset=utf-8' }, body, signal: timeout });
      } catch (error) {
        throw await toNextcloudError(error, 'SEARCH', '/remote.php/dav/', timeout.aborted);
      }
      if (!response.ok) throw await errorFromResponse(response, 'SEARCH', '/remote.php/dav/', userId);
      return parseMultistatus(await response.text()).map((entry) => toEntry(entry.href, entry.props));
    },
  };
}

function toNodeStream(body: unknown): Readable {
  if (!body) return Readable.from([]);
  if (body instanceof Readable) return body;
  if (typeof (body as { getReader?: unknown }).getReader === 'function') return Readable.fromWeb(body as WebReadableStream);
  return Readable.from(body as AsyncIterable<Uint8Array>);
}

export function searchBody(userId: string, query: FileQuery): string {
  const conditions: string[] = [];
  const prop = (ns: 'd' | 'oc', name: string) => `<d:prop><${ns}:${name}/></d:prop>`;
  const literal = (value: string) => `<d:literal>${escapeXml(value)}</d:literal>`;
  if (query.nameContains) conditions.push(`<d:like>${prop('d', 'displayname')}${literal(`%${query.nameContains.replace(/[%_]/g, '')}%`)}</d:like>`);
  if (query.mimeType) {
    const family = query.mimeType.endsWith('/') || query.mimeType.endsWith('/*');
    conditions.push(
      family
        ? `<d:like>${prop('d', 'getcontenttype')}${literal(`${query.mimeType.replace(/\*$/, '').replace(/\/?$/, '/')}%`)}</d:like>`
        : `<d:eq>${prop('d', 'getcontenttype')}${literal(query.mimeType)}</d:eq>`,
    );
  }
  if (query.modifiedAfter) conditions.push(`<d:gt>${prop('d', 'getlastmodified')}${literal(String(Math.floor(query.modifiedAfter.getTime() / 1000)))}</d:gt>`);
  if (query.modifiedBefore) conditions.push(`<d:lt>${prop('d', 'getlastmodified')}${literal(String(Math.floor(query.modifiedBefore.getTime() / 1000)))}</d:lt>`);
  if (query.type === 'folder') conditions.push('<d:is-collection/>');
  if (query.type === 'file') conditions.push('<d:not><d:is-collection/></d:not>');
  if (query.favorite) conditions.push(`<d:eq>${prop('oc', 'favorite')}${literal('yes')}</d:eq>`);
  // SEARCH needs a where clause; "size >= 0" matches everything.
  if (conditions.length === 0) conditions.push(`<d:gte>${prop('oc', 'size')}${literal('0')}</d:gte>`);
  const where = conditions.length === 1 ? conditions[0] : `<d:and>${conditions.join('')}</d:and>`;
  const orderProp = { name: prop('d', 'displayname'), modified: prop('d', 'getlastmodified'), size: prop('oc', 'size') }[query.orderBy ?? 'modified'];
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
