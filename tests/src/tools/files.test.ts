// The Files tools as the MCP layer runs them, as alice and bob against the simulator's WebDAV: what each tool
// returns, how refusals read, the folder allowlist, and that nobody reaches another user's files.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Nextcloud } from '../../../lib/index.js';
import { filesCopy } from '../../../src/tools/files/copy.js';
import { filesCreateFolder } from '../../../src/tools/files/create-folder.js';
import { filesDelete } from '../../../src/tools/files/delete.js';
import { filesTools } from '../../../src/tools/files/index.js';
import { filesList } from '../../../src/tools/files/list.js';
import { filesMove } from '../../../src/tools/files/move.js';
import { filesRead } from '../../../src/tools/files/read.js';
import { filesSearch } from '../../../src/tools/files/search.js';
import { filesStat } from '../../../src/tools/files/stat.js';
import { filesListVersions } from '../../../src/tools/files/versions.js';
import { filesWriteText } from '../../../src/tools/files/write-text.js';
import type { Tool } from '../../../src/tools/tool.js';
import type { Simulator } from '../../nextcloud-sim/index.js';
import { startLibFixture } from '../../support/lib-fixture.js';
import type { ToolCall, ToolHarness } from '../../support/tool-harness.js';
import { toolHarness } from '../../support/tool-harness.js';

let dataDir: string;
let sim: Simulator;
let nextcloud: Nextcloud;
let tools: ToolHarness;

beforeAll(async () => {
  // A data dir of our own, to look into the trash bin on disk.
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'files-tools-'));
  ({ sim, nextcloud } = await startLibFixture({ dataDir }));
  tools = toolHarness(nextcloud, sim.url);
});
afterAll(async () => {
  await sim?.stop();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

const call = (tool: Tool | { name: string }, args: unknown, options?: Parameters<ToolHarness['call']>[2]) =>
  tools.call(tool as Tool, args, options);
type Entry = {
  path: string;
  name: string;
  type: string;
  size?: number;
  permissions: string[];
  etag?: string;
  fileId?: number;
  sharedWithUser: boolean;
  sharedByUser: boolean;
  owner?: { id: string };
  favorite: boolean;
};
const entriesOf = (result: ToolCall) => (result.structured?.entries ?? []) as Entry[];
const ok = (result: ToolCall) => {
  expect(result.isError, result.text).toBe(false);
  return result.structured as Record<string, any>;
};

describe('tool definitions', () => {
  it('names, scopes, annotations and a description for every argument', () => {
    expect(filesTools.map((tool) => tool.name)).toEqual([
      'files_list',
      'files_stat',
      'files_read',
      'files_search',
      'files_write_text',
      'files_create_folder',
      'files_move',
      'files_copy',
      'files_delete',
      'files_list_versions',
      'files_restore_version',
      'files_list_trash',
      'files_restore_from_trash',
    ]);
    for (const tool of filesTools) {
      expect(tool.name).toMatch(/^files_[a-z_]+$/);
      expect(tool.annotations.openWorldHint, tool.name).toBe(false);
      const schema = z.toJSONSchema(tool.input, { io: 'input' }) as { properties: Record<string, { description?: string }> };
      for (const [field, property] of Object.entries(schema.properties))
        expect(property.description, `${tool.name}.${field}`).toMatch(/\w{3,}/);
      const reads = ['files_list', 'files_stat', 'files_read', 'files_search', 'files_list_versions', 'files_list_trash'].includes(
        tool.name,
      );
      expect(tool.scopes).toEqual({ allOf: [reads ? 'files.read' : 'files.write'] });
      expect(tool.annotations.readOnlyHint, tool.name).toBe(reads);
    }
    expect(filesDelete.annotations.destructiveHint).toBe(true);
    expect(filesCreateFolder.annotations.destructiveHint).toBe(false);
    expect(filesList.annotations.destructiveHint).toBe(false);
  });
});

describe('listing, stat and search as alice', () => {
  it('lists the home folder, folders first, with permissions in words and sharing', async () => {
    const result = await call(filesList, {});
    const entries = entriesOf(result);
    const names = entries.map((entry) => entry.name);
    expect(names).toEqual(expect.arrayContaining(['Documents', 'Plans', 'Media', 'Notes', 'Readme.md']));
    expect(names.indexOf('Readme.md')).toBeGreaterThan(names.indexOf('Plans'));
    const readme = entries.find((entry) => entry.name === 'Readme.md')!;
    expect(readme).toMatchObject({ path: '/Readme.md', type: 'file', favorite: true, sharedWithUser: false });
    expect(readme).not.toHaveProperty('owner');
    expect(readme.permissions).toEqual(expect.arrayContaining(['read', 'write', 'delete', 'rename']));
    expect(entries.find((entry) => entry.name === 'Plans')).toMatchObject({ sharedByUser: true, sharedWithUser: false });
    expect(ok(result)).toMatchObject({ path: '/', total: entries.length });
    expect(ok(result)).not.toHaveProperty('nextOffset');
    expect(result.audited).toEqual(['/']);
  });

  it('pages and sorts', async () => {
    const first = ok(await call(filesList, { path: '/Documents', limit: 2, foldersFirst: false }));
    expect(first.entries.map((entry: Entry) => entry.name)).toEqual(['Budget.csv', 'Notes.txt']);
    expect(first).toMatchObject({ total: 3, nextOffset: 2 });
    const second = ok(await call(filesList, { path: '/Documents', limit: 2, offset: 2, foldersFirst: false }));
    expect(second.entries.map((entry: Entry) => entry.name)).toEqual(['Report 2026.pdf']);
    expect(second).not.toHaveProperty('nextOffset');
    const bySize = ok(await call(filesList, { path: '/Documents', sortBy: 'size', order: 'desc' }));
    const sizes = bySize.entries.map((entry: Entry) => entry.size);
    expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
    expect(bySize.entries[0].name).toBe('Report 2026.pdf');
  });

  it('stats a file with its etag and a permalink into Nextcloud', async () => {
    const stat = ok(await call(filesStat, { path: 'Readme.md' }));
    expect(stat).toMatchObject({ path: '/Readme.md', type: 'file', contentType: 'text/markdown' });
    expect(stat.etag).toMatch(/^".+"$/);
    expect(stat.webUrl).toBe(`${sim.url}/index.php/f/${stat.fileId}`);
    const missing = await call(filesStat, { path: '/Documents/nope.txt' });
    expect(missing.isError).toBe(true);
    expect(missing.text).toContain('/Documents/nope.txt');
  });

  it('searches by name, MIME type or family, folder, date, and pages', async () => {
    expect(entriesOf(await call(filesSearch, { nameContains: 'roadmap' })).map((entry) => entry.path)).toEqual(['/Plans/Roadmap.md']);
    expect(entriesOf(await call(filesSearch, { mimeType: 'application/pdf' })).map((entry) => entry.name)).toEqual(['Report 2026.pdf']);
    const texts = entriesOf(await call(filesSearch, { mimeType: 'text', under: '/Plans', type: 'file' }));
    expect(texts.map((entry) => entry.path).sort()).toEqual(['/Plans/Q3/Milestones.txt', '/Plans/Roadmap.md']);
    expect(entriesOf(await call(filesSearch, { modifiedAfter: new Date(Date.now() + 86_400_000).toISOString() }))).toHaveLength(0);
    expect(entriesOf(await call(filesSearch, { modifiedBefore: '2000-01-01' }))).toHaveLength(0);
    const page1 = ok(await call(filesSearch, { type: 'file', sortBy: 'name', limit: 2 }));
    expect(page1.entries).toHaveLength(2);
    expect(page1.nextOffset).toBe(2);
    const page2 = ok(await call(filesSearch, { type: 'file', sortBy: 'name', limit: 2, offset: 2 }));
    expect(page2.entries[0].path).not.toBe(page1.entries[0].path);
    expect(page2.entries[0].name.localeCompare(page1.entries[1].name, undefined, { sensitivity: 'base' })).toBeGreaterThanOrEqual(0);
    const bad = await call(filesSearch, { modifiedAfter: 'last tuesday' });
    expect(bad.isError).toBe(true);
    expect(bad.text).toMatch(/modifiedAfter: must be a date/);
  });
});

describe('reading', () => {
  it('reads a text file whole with its etag', async () => {
    const read = ok(await call(filesRead, { path: '/Readme.md' }));
    expect(read).toMatchObject({ kind: 'text', text: "# Alice's files\n\nWelcome to Nextcloud.\n", truncated: false, offset: 0 });
    expect(read).not.toHaveProperty('nextOffset');
    expect(read.etag).toMatch(/^".+"$/);
    expect(read.bytesRead).toBe(Buffer.byteLength(read.text));
  });

  it('reads byte ranges and continues from nextOffset', async () => {
    const window = ok(await call(filesRead, { path: '/Readme.md', offset: 2, length: 5 }));
    expect(window).toMatchObject({ text: 'Alice', offset: 2, bytesRead: 5, truncated: true, nextOffset: 7 });
    const rest = ok(await call(filesRead, { path: '/Readme.md', offset: window.nextOffset }));
    expect(rest.text).toBe("'s files\n\nWelcome to Nextcloud.\n");
    expect(rest).not.toHaveProperty('nextOffset');
  });

  it('never splits a UTF-8 character at either end of a range', async () => {
    // "# Meeting über": ü is bytes 10-11.
    const head = ok(await call(filesRead, { path: '/Notes/Meeting ümlaut.md', length: 11 }));
    expect(head).toMatchObject({ text: '# Meeting ', bytesRead: 10, nextOffset: 10 });
    const inside = ok(await call(filesRead, { path: '/Notes/Meeting ümlaut.md', offset: 11, length: 4 }));
    expect(inside).toMatchObject({ text: 'ber', offset: 12 });
    expect(inside.note).toMatch(/inside a character/);
  });

  it('caps a long text at 100 KB by default and allows up to 1 MB', async () => {
    const line = 'The quick brown fox jumps over the lazy dog.\n';
    const content = line.repeat(Math.ceil(700_000 / line.length));
    ok(await call(filesWriteText, { path: '/Notes/long.txt', content }));
    const capped = ok(await call(filesRead, { path: '/Notes/long.txt' }));
    expect(capped).toMatchObject({ truncated: true, bytesRead: 100 * 1024, nextOffset: 100 * 1024, size: Buffer.byteLength(content) });
    expect(capped.text).toBe(content.slice(0, 100 * 1024));
    const big = await call(filesRead, { path: '/Notes/long.txt', length: 1024 * 1024 });
    expect(ok(big)).toMatchObject({ truncated: false, bytesRead: Buffer.byteLength(content) });
    expect(big.structured!.text).toBe(content);
    // A large window reports progress to a client that asked.
    expect(big.progress.length).toBeGreaterThan(0);
    expect(big.progress.at(-1)!.total).toBe(Buffer.byteLength(content));
    const tooMuch = await call(filesRead, { path: '/Notes/long.txt', length: 5_000_000 });
    expect(tooMuch.isError).toBe(true);
    expect(tooMuch.text).toMatch(/length/);
    const past = await call(filesRead, { path: '/Notes/long.txt', offset: 10_000_000 });
    expect(past.isError).toBe(true);
    expect(past.text).toMatch(/past the end/);
  });

  it('describes binary files and links them instead of dumping bytes', async () => {
    for (const [file, kind] of [
      ['/Media/dataset.bin', /binary file \(application\/octet-stream\)/],
      ['/Documents/Report 2026.pdf', /PDF document/],
    ] as const) {
      const result = await call(filesRead, { path: file });
      const read = ok(result);
      expect(read.kind).toBe('binary');
      expect(read.text).toBeUndefined();
      expect(read.description).toMatch(kind);
      const link = result.result.content.find((block) => block.type === 'resource_link') as
        { uri: string; name: string; mimeType?: string } | undefined;
      expect(link).toMatchObject({
        uri: `${sim.url}/index.php/f/${read.fileId ?? (await call(filesStat, { path: file })).structured!.fileId}`,
        name: path.basename(file),
      });
      // Nothing but the JSON and the link: no raw content in any block.
      expect(result.result.content).toHaveLength(2);
      expect(JSON.stringify(result.result.content).length).toBeLessThan(3000);
    }
  });

  it('sniffs files of unknown type: text is shown, bytes with NULs are not', async () => {
    ok(await call(filesWriteText, { path: '/Notes/build.log', content: 'step 1 ok\nstep 2 ok\n' }));
    expect(ok(await call(filesRead, { path: '/Notes/build.log' }))).toMatchObject({
      kind: 'text',
      contentType: 'application/octet-stream',
      text: 'step 1 ok\nstep 2 ok\n',
    });
    await nextcloud.as('alice').files.write('/Notes/blob.dat', new Uint8Array([0x50, 0x4b, 0, 0, 1, 2, 3]));
    expect(ok(await call(filesRead, { path: '/Notes/blob.dat' })).kind).toBe('binary');
  });

  it('refuses to read a folder, with a hint', async () => {
    const result = await call(filesRead, { path: '/Documents' });
    expect(result.isError).toBe(true);
    expect(result.text).toMatch(/is a folder.*files_list/);
  });
});

describe('writing as alice', () => {
  it('creates, refuses to replace without an etag, replaces with the etag, and refuses a stale one', async () => {
    const first = await call(filesWriteText, { path: 'Documents//Minutes.md', content: 'v1' });
    const created = ok(first);
    expect(created).toMatchObject({ path: '/Documents/Minutes.md', created: true, size: 2 });
    // The audit log names the path, never the content.
    expect(first.audited).toEqual(['/Documents/Minutes.md']);
    expect(created.webUrl).toBe(`${sim.url}/index.php/f/${created.fileId}`);

    const blind = await call(filesWriteText, { path: '/Documents/Minutes.md', content: 'clobbered' });
    expect(blind.isError).toBe(true);
    expect(blind.text).toMatch(/already exists.*etag.*overwrite: true/);

    const read = ok(await call(filesRead, { path: '/Documents/Minutes.md' }));
    const replaced = ok(await call(filesWriteText, { path: '/Documents/Minutes.md', content: 'v2', etag: read.etag }));
    expect(replaced.created).toBe(false);
    expect(replaced.etag).not.toBe(read.etag);
    // The former content is not lost: Nextcloud kept it as a version, and the answer says where to find it.
    expect(created.previousContent).toBeUndefined();
    expect(replaced.previousContent).toMatch(/^Kept as a version of the file: files_list_versions/);
    const versions = ok(await call(filesListVersions, { path: '/Documents/Minutes.md' })) as { versions: unknown[] };
    expect(versions.versions).toHaveLength(2);

    // Someone else's change in between: the old etag no longer matches.
    const stale = await call(filesWriteText, { path: '/Documents/Minutes.md', content: 'v3', etag: read.etag });
    expect(stale.isError).toBe(true);
    expect(stale.text).toContain('changed since you read it');
    expect(stale.text).toContain(read.etag);
    expect(ok(await call(filesRead, { path: '/Documents/Minutes.md' })).text).toBe('v2');

    // Etags without their quotes, as models often pass them, still work.
    ok(await call(filesWriteText, { path: '/Documents/Minutes.md', content: 'v3', etag: String(replaced.etag).replaceAll('"', '') }));
    ok(await call(filesWriteText, { path: '/Documents/Minutes.md', content: 'v4', overwrite: true }));
    expect(ok(await call(filesRead, { path: '/Documents/Minutes.md' })).text).toBe('v4');
  });

  it('honours createOnly and rejects contradictory or missing-folder writes', async () => {
    const exists = await call(filesWriteText, { path: '/Readme.md', content: 'x', createOnly: true });
    expect(exists.isError).toBe(true);
    expect(exists.text).toMatch(/already exists, and createOnly/);
    const both = await call(filesWriteText, { path: '/x.md', content: 'x', createOnly: true, overwrite: true });
    expect(both.isError).toBe(true);
    expect(both.text).toMatch(/createOnly cannot be combined/);
    const orphan = await call(filesWriteText, { path: '/No/Such/Folder/x.md', content: 'x' });
    expect(orphan.isError).toBe(true);
    expect(orphan.text).toMatch(/\/No\/Such\/Folder does not exist/);
    expect(ok(await call(filesRead, { path: '/Readme.md' })).text).toContain("Alice's files");
  });

  it('creates folders, once, with parents on request', async () => {
    expect(ok(await call(filesCreateFolder, { path: '/Work' }))).toMatchObject({ path: '/Work', created: true, createdFolders: ['/Work'] });
    expect(ok(await call(filesCreateFolder, { path: '/Work' }))).toMatchObject({ created: false, createdFolders: [] });
    const orphan = await call(filesCreateFolder, { path: '/Work/a/b' });
    expect(orphan.isError).toBe(true);
    expect(orphan.text).toMatch(/\/Work\/a does not exist.*parents: true/);
    expect(ok(await call(filesCreateFolder, { path: '/Work/a/b', parents: true }))).toMatchObject({
      created: true,
      createdFolders: ['/Work/a', '/Work/a/b'],
    });
    const onFile = await call(filesCreateFolder, { path: '/Readme.md/sub' });
    expect(onFile.isError).toBe(true);
    expect(onFile.text).toMatch(/is a file/);
  });

  it('moves and renames, keeping the file id, and refuses to overwrite unless asked', async () => {
    const written = ok(await call(filesWriteText, { path: '/Work/draft.txt', content: 'draft' }));
    const moved = ok(await call(filesMove, { from: '/Work/draft.txt', to: '/Work/final.txt' }));
    expect(moved).toMatchObject({
      from: '/Work/draft.txt',
      to: '/Work/final.txt',
      entry: { path: '/Work/final.txt', fileId: written.fileId },
    });
    expect((await call(filesStat, { path: '/Work/draft.txt' })).isError).toBe(true);

    ok(await call(filesWriteText, { path: '/Work/other.txt', content: 'other' }));
    const refused = await call(filesMove, { from: '/Work/other.txt', to: '/Work/final.txt' });
    expect(refused.isError).toBe(true);
    expect(refused.text).toMatch(/\/Work\/final.txt already exists.*overwrite: true/);
    expect(ok(await call(filesRead, { path: '/Work/final.txt' })).text).toBe('draft');
    expect(ok(await call(filesRead, { path: '/Work/other.txt' })).text).toBe('other');
    ok(await call(filesMove, { from: '/Work/other.txt', to: '/Work/final.txt', overwrite: true }));
    expect(ok(await call(filesRead, { path: '/Work/final.txt' })).text).toBe('other');

    // A target ending in / is the folder to move into.
    expect(ok(await call(filesMove, { from: '/Work/final.txt', to: '/Work/a/' })).to).toBe('/Work/a/final.txt');
    const same = await call(filesMove, { from: '/Work/a/final.txt', to: '/Work/a//final.txt' });
    expect(same.isError).toBe(true);
    expect(same.text).toMatch(/same path/);
    const audited = (await call(filesMove, { from: '/Work/a/final.txt', to: '/Work/final.txt' })).audited;
    expect(audited).toEqual(['/Work/a/final.txt', '/Work/final.txt']);
  });

  it('copies, refusing to overwrite unless asked', async () => {
    const copy = ok(await call(filesCopy, { from: '/Documents/Notes.txt', to: '/Work/Notes copy.txt' }));
    expect(copy.entry).toMatchObject({ path: '/Work/Notes copy.txt', type: 'file' });
    expect(ok(await call(filesRead, { path: '/Work/Notes copy.txt' })).text).toContain('Shopping list');
    const again = await call(filesCopy, { from: '/Readme.md', to: '/Work/Notes copy.txt' });
    expect(again.isError).toBe(true);
    expect(again.text).toMatch(/already exists/);
    expect(ok(await call(filesRead, { path: '/Work/Notes copy.txt' })).text).toContain('Shopping list');
    const into = await call(filesCopy, { from: '/Work', to: '/Work/a/' });
    expect(into.isError).toBe(true);
    expect(into.text).toMatch(/into itself/);
  });

  it('deletes to the trash bin, never permanently', async () => {
    ok(await call(filesWriteText, { path: '/Work/bin-me.txt', content: 'restore me' }));
    const deleted = ok(await call(filesDelete, { path: '/Work/bin-me.txt' }));
    expect(deleted).toMatchObject({ path: '/Work/bin-me.txt', type: 'file', outcome: 'moved_to_trash' });
    expect(deleted.message).toMatch(/trash bin/);
    expect((await call(filesStat, { path: '/Work/bin-me.txt' })).isError).toBe(true);
    const trash = path.join(dataDir, 'dav', 'alice', 'trash');
    const trashed = fs.readdirSync(trash).filter((name) => name.startsWith('bin-me.txt.d'));
    expect(trashed).toHaveLength(1);
    expect(fs.readFileSync(path.join(trash, trashed[0]!), 'utf8')).toBe('restore me');
    const home = await call(filesDelete, { path: '/' });
    expect(home.isError).toBe(true);
    expect(home.text).toMatch(/home folder/);
  });

  it('refuses writes in read-only mode', async () => {
    const result = await call(filesWriteText, { path: '/Documents/ro.txt', content: 'x' }, { policy: { readOnly: true } });
    expect(result.isError).toBe(true);
    expect(result.text).toMatch(/read-only/);
    expect((await call(filesStat, { path: '/Documents/ro.txt' })).isError).toBe(true);
  });
});

describe("bob and alice's read-only share", () => {
  it('shows the share read-only, owned by alice', async () => {
    const plans = entriesOf(await call(filesList, { path: '/Shared' }, { user: 'bob' })).find((entry) => entry.name === 'Plans')!;
    expect(plans).toMatchObject({ path: '/Shared/Plans', sharedWithUser: true, owner: { id: 'alice' } });
    expect(plans.permissions).not.toContain('create');
    // The share root's delete and rename only mean "leave the share"; they are not shown as content rights.
    expect(plans.permissions).not.toContain('delete');
    const roadmap = entriesOf(await call(filesList, { path: '/Shared/Plans' }, { user: 'bob' })).find(
      (entry) => entry.name === 'Roadmap.md',
    )!;
    expect(roadmap.permissions).toEqual(['read']);
    expect(ok(await call(filesRead, { path: '/Shared/Plans/Roadmap.md' }, { user: 'bob' })).text).toContain('# Roadmap');
  });

  it("gets a clear read-only error on every kind of change, and alice's files stay as they were", async () => {
    const before = ok(await call(filesRead, { path: '/Plans/Roadmap.md' }));
    const stat = ok(await call(filesStat, { path: '/Shared/Plans/Roadmap.md' }, { user: 'bob' }));
    const attempts: Array<[Tool, unknown]> = [
      [filesWriteText, { path: '/Shared/Plans/Roadmap.md', content: 'overwritten', etag: stat.etag }],
      [filesWriteText, { path: '/Shared/Plans/Roadmap.md', content: 'overwritten', overwrite: true }],
      [filesWriteText, { path: '/Shared/Plans/new.md', content: 'new' }],
      [filesCreateFolder, { path: '/Shared/Plans/Q4' }],
      [filesDelete, { path: '/Shared/Plans/Roadmap.md' }],
      [filesMove, { from: '/Shared/Plans/Roadmap.md', to: '/Roadmap.md' }],
      [filesCopy, { from: '/Readme.md', to: '/Shared/Plans/Readme.md' }],
    ];
    for (const [tool, args] of attempts) {
      const result = await call(tool, args, { user: 'bob' });
      expect(result.isError, tool.name).toBe(true);
      expect(result.text, tool.name).toMatch(/^bob has read-only access to \/Shared\/Plans \(shared by Alice[^)]*\)/);
    }
    const after = ok(await call(filesRead, { path: '/Plans/Roadmap.md' }));
    expect(after).toMatchObject({ text: before.text, etag: before.etag });
    // A copy into bob's own files is the way to an editable version.
    ok(await call(filesCopy, { from: '/Shared/Plans/Roadmap.md', to: '/Notes/' }, { user: 'bob' }));
    expect(ok(await call(filesRead, { path: '/Notes/Roadmap.md' }, { user: 'bob' })).text).toBe(before.text);
  });
});

describe('isolation between users', () => {
  const spellings = [
    '../alice/Readme.md',
    '/../alice/Readme.md',
    '/Shared/../../alice/Readme.md',
    '..\\alice\\Readme.md',
    '%2e%2e/alice/Readme.md',
    '%2e%2e%2falice%2fReadme.md',
    '//alice/Readme.md',
    '/alice/Readme.md',
    '/files/alice/Readme.md',
    '/remote.php/dav/files/alice/Readme.md',
    '/Shared/%2e%2e/%2e%2e/alice/Readme.md',
    '/Readme.md\u0000/../../alice',
  ];

  it("keeps alice's private files from bob by every path spelling", async () => {
    for (const spelling of spellings) {
      for (const [tool, args] of [
        [filesRead, { path: spelling }],
        [filesStat, { path: spelling }],
        [filesList, { path: spelling.replace(/Readme\.md$/, '') }],
      ] as const) {
        const result = await call(tool, args, { user: 'bob' });
        expect(result.isError, `${tool.name} ${spelling}`).toBe(true);
        expect(result.text).not.toContain("Alice's files");
      }
    }
    // Bob's own Readme.md is the only one he reaches.
    expect(ok(await call(filesRead, { path: '/Readme.md' }, { user: 'bob' })).text).toContain("Bob's files");
  });

  it("finds nothing of alice's private files in bob's searches, nor bob's in alice's", async () => {
    expect(entriesOf(await call(filesSearch, { nameContains: 'Notes.txt' }, { user: 'bob' }))).toEqual([]);
    expect(entriesOf(await call(filesSearch, { nameContains: 'Budget' }, { user: 'bob' }))).toEqual([]);
    expect(entriesOf(await call(filesSearch, { nameContains: 'secret' }))).toEqual([]);
    const escaped = await call(filesRead, { path: '../bob/Private/secret.txt' });
    expect(escaped.isError).toBe(true);
    expect(escaped.text).toMatch(/may not contain/);
  });
});

describe('folder allowlist', () => {
  const policy = { folderAllowlist: ['/Documents'] };
  const as = (tool: Tool, args: unknown, user = 'alice') => call(tool, args, { policy, user });

  it('lists only the allowed folders and hides what is outside', async () => {
    const root = ok(await as(filesList, { path: '/' }));
    expect(root.entries.map((entry: Entry) => entry.path)).toEqual(['/Documents']);
    expect(root.total).toBe(1);
    // The home folder's size would count the hidden folders too.
    expect(ok(await as(filesStat, { path: '/' }))).not.toHaveProperty('size');
    expect(ok(await as(filesList, { path: '/Documents' })).entries.length).toBeGreaterThan(0);
  });

  it('refuses reads outside, by any spelling', async () => {
    for (const spelling of [
      '/Plans/Roadmap.md',
      '/Documents/../Plans/Roadmap.md',
      '/Documents/%2e%2e/Plans/Roadmap.md',
      '/Documents%2f..%2fPlans/Roadmap.md',
      '/documents/Notes.txt',
      '/Documents./Notes.txt',
    ]) {
      const result = await as(filesRead, { path: spelling });
      expect(result.isError, spelling).toBe(true);
      expect(result.text, spelling).toMatch(/^Refused/);
      expect(result.text).not.toContain('Roadmap\n');
    }
    expect(ok(await as(filesRead, { path: '/Documents/Notes.txt' })).text).toContain('Shopping list');
  });

  it('confines search results', async () => {
    const everything = entriesOf(await as(filesSearch, { type: 'file', limit: 100 }));
    expect(everything.length).toBeGreaterThan(0);
    expect(everything.every((entry) => entry.path.startsWith('/Documents/'))).toBe(true);
    expect(entriesOf(await as(filesSearch, { nameContains: 'roadmap' }))).toEqual([]);
    const outside = await as(filesSearch, { under: '/Plans' });
    expect(outside.isError).toBe(true);
    expect(outside.text).toMatch(/outside the folders the administrator made available/);
    // An allowed folder the user does not have does not break the search in the others.
    const withMissing = await call(filesSearch, { nameContains: 'budget' }, { policy: { folderAllowlist: ['/Documents', '/Projects'] } });
    expect(entriesOf(withMissing).map((entry) => entry.path)).toEqual(['/Documents/Budget.csv']);
  });

  it('refuses changes outside, and to the allowed folder itself', async () => {
    const outside = await as(filesWriteText, { path: '/Plans/new.md', content: 'x' });
    expect(outside.isError).toBe(true);
    expect(outside.text).toMatch(/^Refused/);
    expect((await call(filesStat, { path: '/Plans/new.md' })).isError).toBe(true);
    for (const [tool, args] of [
      [filesDelete, { path: '/Documents' }],
      [filesMove, { from: '/Documents/Notes.txt', to: '/Notes.txt' }],
      [filesMove, { from: '/Plans/Roadmap.md', to: '/Documents/Roadmap.md' }],
      [filesCopy, { from: '/', to: '/Documents/everything' }],
      [filesCopy, { from: '/Plans', to: '/Documents/Plans' }],
      [filesCreateFolder, { path: '/Elsewhere' }],
    ] as const) {
      const result = await as(tool, args);
      expect(result.isError, tool.name).toBe(true);
      expect(result.text, tool.name).toMatch(/^Refused/);
    }
    expect((await call(filesStat, { path: '/Documents/everything' })).isError).toBe(true);
    const inside = ok(await as(filesWriteText, { path: '/Documents/inside.txt', content: 'fine' }));
    expect(inside.created).toBe(true);
  });
});

describe('invalid input', () => {
  it('answers with isError naming the argument', async () => {
    const noPath = await call(filesRead, {});
    expect(noPath.isError).toBe(true);
    expect(noPath.text).toMatch(/^Invalid arguments for files_read: path/);
    const badLimit = await call(filesList, { limit: 0 });
    expect(badLimit.text).toMatch(/limit/);
    const badSort = await call(filesList, { sortBy: 'colour' });
    expect(badSort.isError).toBe(true);
    expect(badSort.text).toMatch(/sortBy/);
    const negative = await call(filesRead, { path: '/Readme.md', offset: -1 });
    expect(negative.text).toMatch(/offset/);
    const mime = await call(filesSearch, { mimeType: 'not a type' });
    expect(mime.text).toMatch(/mimeType/);
    const control = await call(filesStat, { path: '/Readme.md\n' });
    expect(control.isError).toBe(true);
    expect(control.text).toMatch(/control characters/);
  });
});

describe('leaving a share', () => {
  // Last, because bob no longer sees alice's share afterwards.
  it("removes a received share from bob's files without touching alice's folder", async () => {
    const result = ok(await call(filesDelete, { path: '/Shared/Plans' }, { user: 'bob' }));
    expect(result).toMatchObject({ path: '/Shared/Plans', type: 'folder', outcome: 'share_removed' });
    expect(result.message).toMatch(/Alice Liddell still has the folder/);
    expect(result.message).not.toMatch(/trash/);
    expect((await call(filesStat, { path: '/Shared/Plans' }, { user: 'bob' })).isError).toBe(true);
    expect(ok(await call(filesRead, { path: '/Plans/Roadmap.md' })).text).toContain('# Roadmap');
  });
});
