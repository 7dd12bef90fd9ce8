// The user's files as the admin's folder allowlist lets tools see them. Every file tool and every search or
// fetch over files goes through this one wrapper, so the allowlist is enforced in one place: paths are checked
// on the way in (confinePath) and what Nextcloud lists or finds is filtered on the way out (isVisible).
import type { FileEntry, FileQuery, FilesClient } from '../../../lib/index.js';
import { isNextcloudError } from '../../../lib/index.js';
import { confinePath, isVisible, relationTo } from '../../policy/folders.js';
import { ToolError } from '../tool.js';
import { listingCache } from './listing-cache.js';

/** A folder as a page sequence sees it (listing-cache.ts), through the allowlist. */
export interface ConfinedListing {
  /** The folder's etag the listing is of; null when Nextcloud named none. */
  etag: string | null;
  /** Whether the listing was kept from an earlier page. */
  reused: boolean;
  /** On a following page, the etag of the earlier pages' listing when the folder changed since; null otherwise. */
  changedFrom: string | null;
  /** What is in the folder and may be shown. */
  entries(): FileEntry[];
  /** A value derived from what may be shown (a sorted order), kept with the listing for the following pages. */
  derive<T>(key: string, make: () => readonly T[]): readonly T[];
  /** Keeps the listing for the following pages. */
  keep(): void;
}

// Text is read through text.ts, which decides what counts as text; lib's own text reader is not offered.
export type ConfinedFiles = Omit<FilesClient, 'search' | 'listing' | 'readText'> & {
  search(query: FileQuery): Promise<FileEntry[]>;
  /** A folder for paging: `reuse` lets a following page take the listing an earlier page read, while unchanged. */
  listing(path: string, options?: { reuse?: boolean }): Promise<ConfinedListing>;
  /** The canonical form of a path the client named, refused (ToolError) when it leaves the allowed folders. */
  check(path: string, purpose: 'look' | 'change'): string;
  /** Whether a path Nextcloud returned may be shown. */
  visible(path: string): boolean;
  readonly allowlist: readonly string[];
};

export function confinedFiles(files: FilesClient, allowlist: readonly string[]): ConfinedFiles {
  const canonicalAllowlist = allowlist.map((entry) => {
    const checked = confinePath(entry, []);
    return checked.ok ? checked.path : entry;
  });
  /**
   * 'look' admits folders on the way to an allowed folder ("/" lists only the allowed top-level folders);
   * 'change' needs a path inside one, and never an allowed folder itself (moving or deleting it would change
   * what the admin allowed).
   */
  const check = (path: string, purpose: 'look' | 'change'): string => {
    const confined = confinePath(path, allowlist);
    if (!confined.ok) throw new ToolError('not_allowed', `Refused: ${confined.reason}.`);
    if (purpose === 'change' && allowlist.length > 0) {
      if (confined.relation !== 'inside')
        throw new ToolError(
          'not_allowed',
          `Refused: ${confined.path} is outside the folders the administrator made available (${canonicalAllowlist.join(', ')}).`,
        );
      if (canonicalAllowlist.includes(confined.path))
        throw new ToolError(
          'not_allowed',
          `Refused: ${confined.path} is a folder the administrator made available; it cannot be moved, replaced or deleted through this connector.`,
        );
    }
    return confined.path;
  };
  const visible = (path: string) => isVisible(path, allowlist);
  /**
   * Reading or copying takes content, not just names: a folder on the way to an allowed one holds folders the
   * admin did not allow, so copying "/" into an allowed folder would carry all of them along.
   */
  const checkContent = (path: string): string => {
    const checked = check(path, 'look');
    if (allowlist.length > 0 && relationTo(checked, allowlist) !== 'inside') {
      throw new ToolError(
        'not_allowed',
        `Refused: only the contents of the folders the administrator made available (${canonicalAllowlist.join(', ')}) can be read or copied, not ${checked} as a whole.`,
      );
    }
    return checked;
  };
  return {
    allowlist: canonicalAllowlist,
    check,
    visible,
    list: async (path) => (await files.list(check(path, 'look'))).filter((entry) => visible(entry.path)),
    async listing(path, options = {}) {
      const folder = await listingCache.list(files, check(path, 'look'), options.reuse === true);
      // What is derived depends on what the allowlist lets through, so each allowlist derives its own.
      const scope = JSON.stringify(allowlist);
      return {
        etag: folder.etag,
        reused: folder.reused,
        changedFrom: folder.changedFrom,
        entries: () => folder.listing.entries.filter((entry) => visible(entry.path)),
        derive: (key, make) => folder.derive(`${scope}\u0000${key}`, make),
        keep: () => folder.keep(),
      };
    },
    version: (path) => files.version(check(path, 'look')),
    stat: (path) => files.stat(check(path, 'look')),
    read: (path, options) => files.read(checkContent(path), options),
    write: (path, data, options) => files.write(check(path, 'change'), data, options),
    mkdir: (path) => files.mkdir(check(path, 'change')),
    move: (from, to, options) => files.move(check(from, 'change'), check(to, 'change'), options),
    copy: (from, to, options) => files.copy(checkContent(from), check(to, 'change'), options),
    delete: (path) => files.delete(check(path, 'change')),
    async search(query) {
      const under = check(query.under ?? '/', 'look');
      if (allowlist.length === 0 || relationTo(under, allowlist) === 'inside')
        return (await files.search({ ...query, under })).filter((entry) => visible(entry.path));
      // Searching from above the allowed folders: search each allowed folder below `under` instead of filtering
      // one search, so a page is not eaten up by matches the user may not see.
      const roots = canonicalAllowlist.filter((folder) => under === '/' || folder.startsWith(`${under}/`));
      const limit = query.limit ?? 50;
      const offset = query.offset ?? 0;
      // An allowed folder this user does not have (nobody created it, or it is another user's share) holds
      // nothing to find; it must not fail the search in the folders that do exist.
      const searchRoot = (root: string) =>
        files.search({ ...query, under: root, offset: 0, limit: offset + limit }).catch((error: unknown) => {
          if (isNextcloudError(error, 'not_found')) return [];
          throw error;
        });
      const found = (await Promise.all(roots.map(searchRoot))).flat().filter((entry) => visible(entry.path));
      const key = query.orderBy ?? 'modified';
      const value = (entry: FileEntry) =>
        key === 'name' ? entry.name.toLowerCase() : key === 'size' ? entry.size : Date.parse(entry.lastModified ?? '') || 0;
      const descending = query.descending ?? key !== 'name';
      found.sort((a, b) => {
        const [x, y] = [value(a), value(b)];
        return (x < y ? -1 : x > y ? 1 : 0) * (descending ? -1 : 1);
      });
      return found.slice(offset, offset + limit);
    },
  };
}
