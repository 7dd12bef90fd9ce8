// Nextcloud answers a folder only whole (PROPFIND Depth 1), while files_list hands it out a page at a time: without
// help, every page of a 10,000-entry folder would fetch and read all 10,000 entries again. So a page sequence lists
// the folder once. The first page always lists it afresh and keeps the listing a short while, per user client and
// folder, under the folder's etag; Nextcloud changes a folder's etag whenever anything inside it changes. A later
// page first asks Nextcloud for the folder's etag alone (a PROPFIND Depth 0 of one property) and reuses the listing
// only while that etag is unchanged; a changed folder is listed again, and the caller can tell its client so.
// The listing is kept as Nextcloud gave it to that user; whatever the admin's policy hides is filtered out each time
// it is handed out (confined.ts), never here. Memory is bounded: entries in all kept listings together, least
// recently used first out.
import type { FilesClient, Listing } from '../../../lib/files.js';

/** How long a listing is reused for the following pages. */
export const LISTING_TTL_MS = 30_000;
/** Entries kept in all listings together, derived page orders included. */
export const MAX_KEPT_ENTRIES = 50_000;
/** Folders kept at most, however small. */
const MAX_KEPT_FOLDERS = 1_000;

export interface FolderListing {
  /** The folder's etag when this listing was read; null when Nextcloud named none (never kept then). */
  readonly etag: string | null;
  /** Nextcloud's answer, unfiltered; for a file, the file itself. */
  readonly listing: Listing;
  /** Whether this listing was kept from an earlier page. */
  readonly reused: boolean;
  /**
   * On a following page: the etag of the listing kept from earlier pages when the folder has changed since, so the
   * caller can say that items may have moved between pages; null otherwise.
   */
  readonly changedFrom: string | null;
  /** A value derived from the listing (a sorted order), made once and kept with it. */
  derive<T>(key: string, make: () => readonly T[]): readonly T[];
  /** Keeps the listing for the following pages. */
  keep(): void;
}

interface Kept {
  etag: string;
  listing: Listing;
  at: number;
  derived: Map<string, readonly unknown[]>;
  weight: number;
}

/** One number per user client, so listings of different users (or Nextclouds) never meet. */
const clientIds = new WeakMap<FilesClient, number>();
let nextClientId = 0;

export class ListingCache {
  private readonly kept = new Map<string, Kept>();
  private total = 0;

  constructor(
    private readonly limits: { ttlMs: number; maxEntries: number; maxFolders: number } = {
      ttlMs: LISTING_TTL_MS,
      maxEntries: MAX_KEPT_ENTRIES,
      maxFolders: MAX_KEPT_FOLDERS,
    },
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Entries held in all kept listings. */
  get size(): number {
    return this.total;
  }

  /**
   * The listing of `path` (already checked). `reuse`: a following page, which may take a kept listing whose etag
   * Nextcloud still reports; otherwise the folder is listed afresh.
   */
  async list(files: FilesClient, path: string, reuse: boolean): Promise<FolderListing> {
    let id = clientIds.get(files);
    if (id === undefined) clientIds.set(files, (id = nextClientId++));
    const key = `${id}\u0000${path}`;
    let earlier: string | null = null;
    if (reuse) {
      const hit = this.fresh(key);
      if (hit) {
        earlier = hit.etag;
        const { etag } = await files.version(path);
        // Looked up again: another call may have replaced or dropped it meanwhile.
        const still = this.fresh(key);
        if (still && etag === still.etag) {
          this.kept.delete(key);
          this.kept.set(key, still);
          return this.handle(key, still, true, null);
        }
      }
    }
    const listing = await files.listing(path);
    const etag = listing.node?.type === 'folder' ? listing.node.etag : null;
    const changedFrom = earlier !== null && earlier !== etag ? earlier : null;
    const entry: Kept | null = etag ? { etag, listing, at: this.now(), derived: new Map(), weight: 1 + listing.entries.length } : null;
    return entry ? this.handle(key, entry, false, changedFrom) : uncached(listing, changedFrom);
  }

  private fresh(key: string): Kept | undefined {
    const hit = this.kept.get(key);
    if (!hit) return undefined;
    if (this.now() - hit.at <= this.limits.ttlMs) return hit;
    this.drop(key, hit);
    return undefined;
  }

  private handle(key: string, entry: Kept, reused: boolean, changedFrom: string | null): FolderListing {
    return {
      etag: entry.etag,
      listing: entry.listing,
      reused,
      changedFrom,
      derive: <T>(derivedKey: string, make: () => readonly T[]) => {
        const known = entry.derived.get(derivedKey);
        if (known) return known as readonly T[];
        const made = make();
        // Counted against the bound like entries; kept only while the listing itself is.
        if (entry.weight + made.length <= this.limits.maxEntries) {
          entry.derived.set(derivedKey, made);
          entry.weight += made.length;
          if (this.kept.get(key) === entry) {
            this.total += made.length;
            this.trim();
          }
        }
        return made;
      },
      keep: () => {
        if (this.kept.get(key) === entry || entry.weight > this.limits.maxEntries) return;
        const previous = this.kept.get(key);
        if (previous) this.drop(key, previous);
        this.kept.set(key, entry);
        this.total += entry.weight;
        this.trim();
      },
    };
  }

  private drop(key: string, entry: Kept): void {
    if (this.kept.get(key) !== entry) return;
    this.kept.delete(key);
    this.total -= entry.weight;
  }

  /** Drops expired listings, then the least recently used ones, until the bounds hold. */
  private trim(): void {
    const now = this.now();
    for (const [key, entry] of this.kept) {
      if (now - entry.at > this.limits.ttlMs) this.drop(key, entry);
    }
    for (const [key, entry] of this.kept) {
      if (this.total <= this.limits.maxEntries && this.kept.size <= this.limits.maxFolders) break;
      this.drop(key, entry);
    }
  }
}

function uncached(listing: Listing, changedFrom: string | null): FolderListing {
  return { etag: null, listing, reused: false, changedFrom, derive: (_key, make) => make(), keep: () => undefined };
}

/** The one cache of the process. */
export const listingCache = new ListingCache();
