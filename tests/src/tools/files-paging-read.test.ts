// files_list over a big folder lists it once per page sequence (the following pages check the folder's etag and
// reuse the listing), says so when the folder changed between pages, and applies the allowlist and the user's own
// view on every page. files_read reads a text file with one ranged GET, no stat. Calls to lib/ are counted.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FileEntry, FilesClient, Nextcloud } from '../../../lib/index.js';
import type { Listing } from '../../../lib/files.js';
import { filesList } from '../../../src/tools/files/list.js';
import { ListingCache } from '../../../src/tools/files/listing-cache.js';
import { filesRead } from '../../../src/tools/files/read.js';
import { filesStat } from '../../../src/tools/files/stat.js';
import type { Tool } from '../../../src/tools/tool.js';
import type { Simulator } from '../../nextcloud-sim/index.js';
import { startLibFixture } from '../../support/lib-fixture.js';
import type { ToolCall, ToolHarness } from '../../support/tool-harness.js';
import { toolHarness } from '../../support/tool-harness.js';

const FILES = 1_150;
const FOLDERS = 12;

let dataDir: string;
let sim: Simulator;
let nextcloud: Nextcloud;
let tools: ToolHarness;
const calls: Record<string, number> = {};

/** Counts every call the tools make to a user's files client. */
function count(files: FilesClient): void {
  for (const name of ['list', 'listing', 'version', 'stat', 'read'] as const) {
    const original = files[name].bind(files) as (...args: unknown[]) => unknown;
    (files as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      calls[name] = (calls[name] ?? 0) + 1;
      return original(...args);
    };
  }
}

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'files-paging-'));
  ({ sim, nextcloud } = await startLibFixture({ dataDir }));
  // Made on disk: the simulator registers files it finds the first time a PROPFIND meets them.
  const big = path.join(dataDir, 'dav', 'alice', 'files', 'Big');
  fs.mkdirSync(big, { recursive: true });
  for (let index = 0; index < FILES; index++)
    fs.writeFileSync(path.join(big, `file ${String(index).padStart(4, '0')}.txt`), 'x'.repeat(index % 97));
  for (let index = 0; index < FOLDERS; index++) fs.mkdirSync(path.join(big, `Sub ${index}`));
  fs.writeFileSync(path.join(big, 'Sub 3', 'inside.txt'), 'inside');
  await nextcloud.as('alice').files.list('/Big');
  count(nextcloud.as('alice').files);
  count(nextcloud.as('bob').files);
  tools = toolHarness(nextcloud, sim.url);
}, 120_000);
afterAll(async () => {
  await sim?.stop();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});
beforeEach(() => {
  for (const name of Object.keys(calls)) delete calls[name];
});

const ok = (result: ToolCall) => {
  expect(result.isError, result.text).toBe(false);
  return result.structured as Record<string, any>;
};
const call = (tool: Tool | { name: string }, args: unknown, options?: Parameters<ToolHarness['call']>[2]) =>
  tools.call(tool as Tool, args, options);

/** Every page of a listing, in order; the etag of each page is passed on to the next. */
async function allPages(args: Record<string, unknown>, options?: Parameters<ToolHarness['call']>[2]) {
  const pages: Array<Record<string, any>> = [];
  let offset: number | undefined = 0;
  let etag: string | undefined;
  while (offset !== undefined) {
    const page = ok(await call(filesList, { ...args, offset, ...(etag ? { etag } : {}) }, options));
    pages.push(page);
    offset = page.nextOffset;
    etag = page.etag;
  }
  return pages;
}

describe('files_list over a big folder', () => {
  it('lists the folder once for all its pages, then only checks its etag', async () => {
    const pages = await allPages({ path: '/Big', limit: 100 });
    const total = FILES + FOLDERS;
    expect(pages).toHaveLength(Math.ceil(total / 100));
    expect(calls).toEqual({ listing: 1, version: pages.length - 1 });
    const names = pages.flatMap((page) => page.entries.map((entry: { name: string }) => entry.name));
    expect(new Set(names).size).toBe(total);
    expect(names.slice(0, FOLDERS).every((name) => name.startsWith('Sub '))).toBe(true);
    expect(pages.every((page) => page.total === total && page.etag === pages[0]!.etag && page.note === undefined)).toBe(true);
    // The same order as one large page of the folder listed afresh.
    const whole = [
      ...ok(await call(filesList, { path: '/Big', limit: 1000 })).entries,
      ...ok(await call(filesList, { path: '/Big', limit: 1000, offset: 1000 })).entries,
    ];
    expect(whole.map((entry: { name: string }) => entry.name)).toEqual(names);
  });

  it('pages in another order from the same listing, sorted once', async () => {
    const first = ok(await call(filesList, { path: '/Big', limit: 500, sortBy: 'size', order: 'desc', foldersFirst: false }));
    const rest = await Promise.all(
      [500, 1000].map(async (offset) =>
        ok(
          await call(filesList, { path: '/Big', limit: 500, offset, sortBy: 'size', order: 'desc', foldersFirst: false, etag: first.etag }),
        ),
      ),
    );
    const sizes = [first, ...rest].flatMap((page) => page.entries.map((entry: { size: number }) => entry.size));
    expect(sizes).toHaveLength(FILES + FOLDERS);
    expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
    expect(calls.listing).toBe(1);
  });

  it('allows pages of up to 1,000 entries', async () => {
    expect(ok(await call(filesList, { path: '/Big', limit: 1000 })).entries).toHaveLength(1000);
    const tooMany = await call(filesList, { path: '/Big', limit: 1001 });
    expect(tooMany.isError).toBe(true);
    expect(tooMany.text).toMatch(/limit/);
  });

  it('lists again when the folder changed between pages, and says so to a client that passed the etag', async () => {
    const first = ok(await call(filesList, { path: '/Big', limit: 100 }));
    await nextcloud.as('alice').files.write('/Big/aaa new.txt', 'new');
    const second = ok(await call(filesList, { path: '/Big', limit: 100, offset: 100, etag: first.etag }));
    expect(calls.listing).toBe(2);
    expect(second.etag).not.toBe(first.etag);
    expect(second.total).toBe(first.total + 1);
    expect(second.note).toBe(
      `The folder changed since the earlier pages were listed (etag ${first.etag} then, ${second.etag} now); this page is from the folder as it is now, so items may have moved between pages. To be sure to see everything, list again from offset 0.`,
    );
    // Without the etag, the listing kept for the earlier pages tells.
    await nextcloud.as('alice').files.delete('/Big/aaa new.txt');
    const third = ok(await call(filesList, { path: '/Big', limit: 100, offset: 200 }));
    expect(third.total).toBe(first.total);
    expect(third.note).toContain(`etag ${second.etag} then`);
    expect(calls.listing).toBe(3);
    // An unchanged folder says nothing.
    expect(ok(await call(filesList, { path: '/Big', limit: 100, offset: 300 })).note).toBeUndefined();
    expect(calls.listing).toBe(3);
  });

  it('applies the allowlist on every page, reused listing or not', async () => {
    const first = ok(await call(filesList, { path: '/Big', limit: 100 }));
    expect(first.nextOffset).toBe(100);
    const policy = { folderAllowlist: ['/Big/Sub 3'] };
    const confined = ok(await call(filesList, { path: '/Big', limit: 100, offset: 0 }, { policy }));
    expect(confined.entries.map((entry: { path: string }) => entry.path)).toEqual(['/Big/Sub 3']);
    expect(confined.total).toBe(1);
    const later = ok(await call(filesList, { path: '/Big', limit: 100, offset: 100, etag: first.etag }, { policy }));
    expect(later).toMatchObject({ entries: [], total: 1 });
    const outside = await call(filesList, { path: '/Big', limit: 100, offset: 100 }, { policy: { folderAllowlist: ['/Documents'] } });
    expect(outside.isError).toBe(true);
    expect(outside.text).toMatch(/outside the folders the administrator made available/);
  });

  it("keeps each user to their own files: another user's later page never comes from this listing", async () => {
    ok(await call(filesList, { path: '/Big', limit: 100 }));
    const bob = await call(filesList, { path: '/Big', limit: 100, offset: 100 }, { user: 'bob' });
    expect(bob.isError).toBe(true);
    expect(bob.text).toMatch(/Big/);
  });
});

describe('the listing cache', () => {
  /** A files client of `entries` entries whose folder etag the test sets. */
  function fakeFolder(entries: number) {
    const state = { etag: '"1"', listings: 0, versions: 0 };
    const entry = (index: number): FileEntry => ({ path: `/F/${index}`, name: String(index) }) as FileEntry;
    const files = {
      async listing(): Promise<Listing> {
        state.listings++;
        return {
          node: { path: '/F', type: 'folder', etag: state.etag } as FileEntry,
          entries: Array.from({ length: entries }, (_, index) => entry(index)),
        };
      },
      async version() {
        state.versions++;
        return { etag: state.etag, type: 'folder' as const };
      },
    } as unknown as FilesClient;
    return { files, state };
  }

  it('reuses a kept listing while the etag holds and the time allows, and not after', async () => {
    let now = 0;
    const cache = new ListingCache({ ttlMs: 30_000, maxEntries: 1000, maxFolders: 10 }, () => now);
    const { files, state } = fakeFolder(10);
    (await cache.list(files, '/F', false)).keep();
    expect((await cache.list(files, '/F', true)).reused).toBe(true);
    expect(state).toMatchObject({ listings: 1, versions: 1 });
    // A first page always lists afresh.
    expect((await cache.list(files, '/F', false)).reused).toBe(false);
    state.etag = '"2"';
    expect(await cache.list(files, '/F', true)).toMatchObject({ reused: false, etag: '"2"', changedFrom: '"1"' });
    (await cache.list(files, '/F', false)).keep();
    now += 30_001;
    expect((await cache.list(files, '/F', true)).reused).toBe(false);
    expect(cache.size).toBe(0);
  });

  it('holds at most its entries, least recently used out first, derived orders counted', async () => {
    const cache = new ListingCache({ ttlMs: 30_000, maxEntries: 100, maxFolders: 10 }, () => 0);
    const folders = [fakeFolder(30), fakeFolder(30), fakeFolder(30)];
    for (const { files } of folders) (await cache.list(files, '/F', false)).keep();
    expect(cache.size).toBe(93);
    // Using the first makes the second the least recently used; a derived order pushes it out.
    const first = await cache.list(folders[0]!.files, '/F', true);
    first.derive('by name', () => Array.from({ length: 30 }, (_, index) => index));
    expect(cache.size).toBe(92);
    expect((await cache.list(folders[1]!.files, '/F', true)).reused).toBe(false);
    expect((await cache.list(folders[2]!.files, '/F', true)).reused).toBe(true);
    // A folder larger than the whole bound is never kept.
    const huge = fakeFolder(200);
    (await cache.list(huge.files, '/F', false)).keep();
    expect((await cache.list(huge.files, '/F', true)).reused).toBe(false);
    expect(cache.size).toBeLessThanOrEqual(100);
  });
});

describe('files_read reads with one ranged GET', () => {
  it('a text file: one GET, no stat, the same details as a stat gives', async () => {
    const read = ok(await call(filesRead, { path: '/Readme.md' }));
    expect(calls).toEqual({ read: 1 });
    const stat = ok(await call(filesStat, { path: '/Readme.md' }));
    expect(read).toMatchObject({
      kind: 'text',
      path: stat.path,
      name: stat.name,
      contentType: stat.contentType,
      size: stat.size,
      modified: stat.modified,
      etag: stat.etag,
    });
    // A download does not name the file id, so the link opens the file's folder in the Files app.
    expect(read.webUrl).toBe(`${sim.url}/index.php/apps/files/?dir=%2F`);
  });

  it('a window in the middle, and an empty file, with one GET each', async () => {
    expect(ok(await call(filesRead, { path: '/Readme.md', offset: 2, length: 5 }))).toMatchObject({ text: 'Alice', nextOffset: 7 });
    await nextcloud.as('alice').files.write('/Big/empty.txt', '');
    for (const name of Object.keys(calls)) delete calls[name];
    expect(ok(await call(filesRead, { path: '/Big/empty.txt' }))).toMatchObject({ kind: 'text', text: '', size: 0, truncated: false });
    expect(calls).toEqual({ read: 1 });
  });

  it('a binary file: described with its permalink, for which the file id is looked up', async () => {
    const result = await call(filesRead, { path: '/Documents/Report 2026.pdf' });
    const read = ok(result);
    const stat = ok(await call(filesStat, { path: '/Documents/Report 2026.pdf' }));
    expect(read).toMatchObject({ kind: 'binary', webUrl: `${sim.url}/index.php/f/${stat.fileId}`, contentType: 'application/pdf' });
    expect(calls).toEqual({ read: 1, stat: 2 });
  });

  it('past the end, and a folder: the same refusals as ever', async () => {
    const past = await call(filesRead, { path: '/Readme.md', offset: 10_000 });
    expect(past.isError).toBe(true);
    expect(past.text).toMatch(/offset 10000 is at or past the end of \/Readme\.md, which has \d+ bytes/);
    const folder = await call(filesRead, { path: '/Big' });
    expect(folder.isError).toBe(true);
    expect(folder.text).toBe('/Big is a folder; list it with files_list instead of reading it.');
    const ancestor = await call(filesRead, { path: '/Big' }, { policy: { folderAllowlist: ['/Big/Sub 3'] } });
    expect(ancestor.text).toBe('/Big is a folder; list it with files_list instead of reading it.');
    expect(ok(await call(filesRead, { path: '/Big/Sub 3/inside.txt' }, { policy: { folderAllowlist: ['/Big/Sub 3'] } })).text).toBe(
      'inside',
    );
  });
});
