// A user's files as the Notes app reaches them: through the DAV backend, so file ids, shares, favourites and the
// trash bin are the ones WebDAV shows. Paths are user-relative without a leading slash ("Notes/Work/a.md").
import { XMLParser } from 'fast-xml-parser';
import type { SimContext } from '../context.js';

export interface FileNode {
  path: string;
  isFolder: boolean;
  fileId: number;
  /** Unix seconds. */
  mtime: number;
  /** Nextcloud's DAV permission letters (G read, W write, D delete, NV rename/move, CK create, S received share). */
  permissions: string;
  favorite: boolean;
  shareTypes: number[];
}

export class FileRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const PROPFIND_BODY =
  '<?xml version="1.0"?><d:propfind xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns"><d:prop><d:resourcetype/><d:getlastmodified/>' +
  '<oc:fileid/><oc:permissions/><oc:favorite/><oc:share-types/></d:prop></d:propfind>';

const parser = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: true,
  parseTagValue: false,
  isArray: (name) => ['response', 'propstat', 'share-type'].includes(name),
});

interface PropstatXml {
  status?: string;
  prop?: Record<string, unknown>;
}

export class UserFiles {
  private readonly base: string;

  constructor(
    private readonly ctx: SimContext,
    readonly uid: string,
  ) {
    this.base = `/remote.php/dav/files/${encodeURIComponent(uid)}`;
  }

  private url(path: string): string {
    const encoded = path
      .split('/')
      .filter((segment) => segment !== '')
      .map(encodeURIComponent)
      .join('/');
    return `${this.ctx.dav.origin}${this.base}/${encoded}`;
  }

  private async send(method: string, path: string, init: { headers?: Record<string, string>; body?: string } = {}): Promise<Response> {
    return fetch(this.url(path), {
      method,
      headers: { 'x-sim-user': this.uid, 'x-sim-token': this.ctx.dav.token, ...init.headers },
      body: init.body,
    });
  }

  private async expect(response: Response, method: string, path: string, ok: number[]): Promise<Response> {
    if (ok.includes(response.status)) return response;
    const text = await response.text().catch(() => '');
    throw new FileRequestError(response.status, `${method} ${path} answered ${response.status}: ${text.slice(0, 200)}`);
  }

  /** The node and, for a folder, its children; null when it does not exist. */
  async list(path: string, depth: 0 | 1): Promise<FileNode[] | null> {
    const response = await this.send('PROPFIND', path, {
      headers: { depth: String(depth), 'content-type': 'application/xml' },
      body: PROPFIND_BODY,
    });
    if (response.status === 404) return null;
    await this.expect(response, 'PROPFIND', path, [207]);
    const xml = parser.parse(await response.text()) as { multistatus?: { response?: Array<{ href: string; propstat?: PropstatXml[] }> } };
    return (xml.multistatus?.response ?? []).map((entry) => this.node(entry.href, entry.propstat ?? []));
  }

  private node(href: string, propstats: PropstatXml[]): FileNode {
    const prop: Record<string, unknown> = Object.assign(
      {},
      ...propstats.filter((p) => p.status?.includes(' 200 ')).map((p) => p.prop ?? {}),
    );
    const decoded = decodeURIComponent(href);
    const path = decoded.slice(decoded.indexOf(this.base) + this.base.length).replace(/^\/+|\/+$/g, '');
    const resourceType = prop.resourcetype;
    const shareTypes = (prop['share-types'] as { 'share-type'?: string[] } | '' | undefined) || {};
    return {
      path,
      isFolder: typeof resourceType === 'object' && resourceType !== null && 'collection' in resourceType,
      fileId: Number(prop.fileid),
      mtime: Math.floor(Date.parse(String(prop.getlastmodified)) / 1000),
      permissions: String(prop.permissions ?? ''),
      favorite: String(prop.favorite) === '1',
      shareTypes: (shareTypes['share-type'] ?? []).map(Number),
    };
  }

  async stat(path: string): Promise<FileNode | null> {
    return (await this.list(path, 0))?.[0] ?? null;
  }

  async read(path: string): Promise<string> {
    const response = await this.expect(await this.send('GET', path), 'GET', path, [200]);
    return response.text();
  }

  async write(path: string, content: string, mtime?: number): Promise<void> {
    const headers: Record<string, string> = { 'content-type': 'text/markdown' };
    if (mtime !== undefined) headers['x-oc-mtime'] = String(mtime);
    await this.expect(await this.send('PUT', path, { headers, body: content }), 'PUT', path, [201, 204]);
  }

  async touch(path: string, mtime: number): Promise<void> {
    // The DAV backend takes an mtime only with a PUT (X-OC-MTime), so the same bytes go back with it.
    await this.write(path, await this.read(path), mtime);
  }

  async move(from: string, to: string): Promise<void> {
    const destination = this.url(to);
    await this.expect(await this.send('MOVE', from, { headers: { destination, overwrite: 'F' } }), 'MOVE', from, [201, 204]);
  }

  /** Creates the folder and its missing parents. */
  async makeFolders(path: string): Promise<void> {
    let current = '';
    for (const segment of path.split('/').filter((s) => s !== '')) {
      current = current ? `${current}/${segment}` : segment;
      const response = await this.send('MKCOL', current);
      await this.expect(response, 'MKCOL', current, [201, 405]);
    }
  }

  /** Moves the node to the trash bin (DAV DELETE). */
  async remove(path: string): Promise<void> {
    await this.expect(await this.send('DELETE', path), 'DELETE', path, [204]);
  }

  async setFavorite(path: string, favorite: boolean): Promise<void> {
    const body =
      '<?xml version="1.0"?><d:propertyupdate xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns"><d:set><d:prop>' +
      `<oc:favorite>${favorite ? 1 : 0}</oc:favorite></d:prop></d:set></d:propertyupdate>`;
    await this.expect(
      await this.send('PROPPATCH', path, { headers: { 'content-type': 'application/xml' }, body }),
      'PROPPATCH',
      path,
      [207],
    );
  }
}
