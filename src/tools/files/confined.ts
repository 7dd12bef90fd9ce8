// The user's files as the admin's folder allowlist and hidden-tag rule let tools see them. Every file tool and
// every search or fetch over files goes through this one wrapper, so both are enforced in one place: paths are
// checked on the way in (confinePath, then the hidden set) and what Nextcloud lists or finds is filtered on the
// way out (isVisible, then the hidden set).
import type { FileEntry, FileQuery, FilesClient } from '../../../lib/index.js';
import { NextcloudError, isNextcloudError } from '../../../lib/index.js';
import { confinePath, isVisible, relationTo } from '../../policy/folders.js';
import { ToolError } from '../tool.js';
import type { HiddenFiles } from './hidden.js';
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
  /** Whether a path Nextcloud returned may be shown (the hidden-tag rule counts once an earlier call resolved it). */
  visible(path: string): boolean;
  /** Whether an entry Nextcloud returned may be shown: the allowlist and the hidden-tag rule. */
  shows(entry: Pick<FileEntry, 'path' | 'fileId'>): Promise<boolean>;
  /** The hidden-tag rule of this call (refused with a ToolError when it cannot be checked). */
  hidden(): Promise<HiddenFiles>;
  readonly allowlist: readonly string[];
};

const NOTHING_HIDDEN: HiddenFiles = { hidesPath: () => false, hidesFileId: () => false };

/** What a hidden path is to a reader: the same answer as for a path that does not exist (lib/http.ts errorFromResponse). */
function missing(path: string, method: string, userId: string | undefined): NextcloudError {
  const remoteMessage = `File with name ${path.replace(/^\/+/, '')} could not be located`;
  return new NextcloudError({
    code: 'not_found',
    status: 404,
    method,
    path,
    remoteMessage,
    message: `${method} ${path}${userId ? ` as ${userId}` : ''} failed (404): it does not exist or is not visible to this user. Nextcloud said: ${remoteMessage}`,
  });
}

/** A change that would put something at a hidden path. */
function refusedChange(path: string): ToolError {
  return new ToolError('not_allowed', `Refused: ${path} cannot be created or changed through this connector.`);
}

/**
 * `hiddenSource` gives the hidden-tag rule of the call; it is asked once, by the first operation that needs it,
 * so building the wrapper stays synchronous. `userId` words a hidden path's not-found like Nextcloud's own.
 */
export function confinedFiles(
  files: FilesClient,
  allowlist: readonly string[],
  hiddenSource: () => Promise<HiddenFiles> = () => Promise.resolve(NOTHING_HIDDEN),
  userId?: string,
): ConfinedFiles {
  let pending: Promise<HiddenFiles> | undefined;
  let resolved: HiddenFiles | undefined;
  const hidden = () =>
    (pending ??= hiddenSource().then((value) => {
      resolved = value;
      return value;
    }));
  const hiddenEntry = (h: HiddenFiles, entry: Pick<FileEntry, 'path' | 'fileId'>) =>
    h.hidesPath(entry.path) || (entry.fileId !== null && entry.fileId !== undefined && h.hidesFileId(entry.fileId));
  /** A checked path that must exist for the operation: hidden reads as missing. */
  const present = async (path: string, method: string): Promise<string> => {
    if ((await hidden()).hidesPath(path)) throw missing(path, method, userId);
    return path;
  };
  /** A checked path something would be written to: hidden is refused. */
  const writable = async (path: string): Promise<string> => {
    if ((await hidden()).hidesPath(path)) throw refusedChange(path);
    return path;
  };
  const shownOf = async (entries: FileEntry[]): Promise<FileEntry[]> => {
    const h = await hidden();
    return entries.filter((entry) => visible(entry.path) && !hiddenEntry(h, entry));
  };
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
  const visible = (path: string) => isVisible(path, allowlist) && !resolved?.hidesPath(path);
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
  /**
   * Hidden files can be neither read nor changed, and a folder goes with everything inside it: one holding hidden
   * content is copied, moved or deleted item by item, never as a whole.
   */
  const wholeOnlyWithoutHidden = async (folder: string, verb: 'copied' | 'moved' | 'deleted') => {
    if ((await hidden()).hidesBelow?.(folder))
      throw new ToolError(
        'not_allowed',
        `Refused: ${folder} cannot be ${verb} as a whole through this connector; ${verb === 'deleted' ? 'delete' : verb === 'moved' ? 'move' : 'copy'} the items in it instead.`,
      );
  };
  return {
    allowlist: canonicalAllowlist,
    check,
    visible,
    hidden,
    async shows(entry) {
      return visible(entry.path) && !hiddenEntry(await hidden(), entry);
    },
    list: async (path) => shownOf(await files.list(await present(check(path, 'look'), 'PROPFIND'))),
    async listing(path, options = {}) {
      const h = await hidden();
      const folder = await listingCache.list(files, await present(check(path, 'look'), 'PROPFIND'), options.reuse === true);
      // What is derived depends on what the allowlist and the hidden set let through, so each derives its own.
      const scope = JSON.stringify([allowlist, hiddenKey(h)]);
      return {
        etag: folder.etag,
        reused: folder.reused,
        changedFrom: folder.changedFrom,
        entries: () => folder.listing.entries.filter((entry) => visible(entry.path) && !hiddenEntry(h, entry)),
        derive: (key, make) => folder.derive(`${scope}\u0000${key}`, make),
        keep: () => folder.keep(),
      };
    },
    version: async (path) => files.version(await present(check(path, 'look'), 'PROPFIND')),
    async stat(path) {
      const entry = await files.stat(await present(check(path, 'look'), 'PROPFIND'));
      // The path was checked; a hidden file id (a tagged file reached under another name) is missing too.
      if (hiddenEntry(await hidden(), entry)) throw missing(entry.path, 'PROPFIND', userId);
      return entry;
    },
    read: async (path, options) => files.read(await present(checkContent(path), 'GET'), options),
    write: async (path, data, options) => files.write(await writable(check(path, 'change')), data, options),
    mkdir: async (path) => files.mkdir(await writable(check(path, 'change'))),
    async move(from, to, options) {
      const source = await present(check(from, 'change'), 'MOVE');
      await wholeOnlyWithoutHidden(source, 'moved');
      const target = await writable(check(to, 'change'));
      try {
        return await files.move(source, target, options);
      } finally {
        // Tagged items inside a moved folder now live at other paths: the next call must not go by the old ones.
        resolved?.changed?.();
      }
    },
    async copy(from, to, options) {
      const source = await present(checkContent(from), 'COPY');
      // A copy gets new file ids without the tags: copying a folder would carry its hidden content out untagged.
      await wholeOnlyWithoutHidden(source, 'copied');
      return files.copy(source, await writable(check(to, 'change')), options);
    },
    async delete(path) {
      const target = await present(check(path, 'change'), 'DELETE');
      await wholeOnlyWithoutHidden(target, 'deleted');
      return files.delete(target);
    },
    async search(query) {
      const under = await present(check(query.under ?? '/', 'look'), 'SEARCH');
      if (allowlist.length === 0 || relationTo(under, allowlist) === 'inside') return shownOf(await files.search({ ...query, under }));
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
      const found = await shownOf((await Promise.all(roots.map(searchRoot))).flat());
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

/** A key per hidden set, so listings derived under one hidden set are not reused under another. */
const hiddenKeys = new WeakMap<HiddenFiles, number>();
let nextHiddenKey = 0;
function hiddenKey(hidden: HiddenFiles): number {
  let key = hiddenKeys.get(hidden);
  if (key === undefined) hiddenKeys.set(hidden, (key = nextHiddenKey++));
  return key;
}
