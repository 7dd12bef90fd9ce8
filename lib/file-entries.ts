// What a file or folder is to this library (FileEntry), and how one is read from a d:response of a PROPFIND or
// SEARCH answer. The properties asked for and the properties read are kept together here, so they stay in step.
import type { XmlNode } from './dav-xml.js';
import { NS, clark } from './dav-xml.js';
import { unexpectedAnswer } from './http.js';

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

export const PROPS = `<d:displayname/><d:resourcetype/><d:getetag/><d:getlastmodified/><d:getcontenttype/><d:getcontentlength/>
<oc:fileid/><oc:permissions/><oc:size/><oc:favorite/><oc:owner-id/><oc:owner-display-name/><oc:share-types/>
<nc:mount-type/><nc:is-mount-root/>`;
export const NAMESPACES = `xmlns:d="DAV:" xmlns:oc="${NS.oc}" xmlns:nc="${NS.nc}" xmlns:ocs="${NS.ocs}"`;
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
/** The properties fileEntryReader reads; the reader drops every other one (d:displayname too: the name comes from the href). */
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
