// The DASL SEARCH request Nextcloud answers for finding files by name, type, date and the like: a FileQuery as the
// XML body of a SEARCH, asking for the same properties a listing reads.
import { escapeXml } from './dav-xml.js';
import { NAMESPACES, PROPS } from './file-entries.js';
import { encodePath } from './file-paths.js';

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
