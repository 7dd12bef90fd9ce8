// lib/ files as alice and bob against the simulator's SabreDAV, over real HTTP with AppAPI impersonation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Nextcloud } from '../../lib/index.js';
import { createNextcloud } from '../../lib/index.js';
import type { Simulator } from '../nextcloud-sim/index.js';
import { failure, startLibFixture } from '../support/lib-fixture.js';

let sim: Simulator;
let secret: string;
let nextcloud: Nextcloud;

beforeAll(async () => {
  ({ sim, secret, nextcloud } = await startLibFixture());
});
afterAll(() => sim?.stop());

describe('listing and stat', () => {
  it("lists alice's home with Nextcloud's properties", async () => {
    const entries = await nextcloud.as('alice').files.list('/');
    const names = entries.map((entry) => entry.name);
    expect(names).toEqual(expect.arrayContaining(['Readme.md', 'Documents', 'Plans', 'Media', 'Notes']));
    expect(names).not.toContain('');
    const readme = entries.find((entry) => entry.name === 'Readme.md')!;
    expect(readme).toMatchObject({ path: '/Readme.md', type: 'file', favorite: true, ownerId: 'alice', mountType: '' });
    expect(readme.fileId).toBeGreaterThan(0);
    expect(readme.etag).toMatch(/^"[^"]+"$/);
    expect(readme.permissions).toMatchObject({ read: true, write: true, delete: true, shared: false });
    const plans = entries.find((entry) => entry.name === 'Plans')!;
    expect(plans).toMatchObject({ type: 'folder' });
    expect(plans.shareTypes).toContain(0);
    expect(plans.permissions.create).toBe(true);
  });

  it("shows bob alice's folder as a read-only share", async () => {
    const [plans] = (await nextcloud.as('bob').files.list('/Shared')).filter((entry) => entry.name === 'Plans');
    expect(plans).toMatchObject({ path: '/Shared/Plans', mountType: 'shared', isMountRoot: true, ownerId: 'alice' });
    expect(plans!.permissions).toMatchObject({ read: true, create: false, shared: true });
    const inside = await nextcloud.as('bob').files.list('/Shared/Plans');
    const roadmap = inside.find((entry) => entry.name === 'Roadmap.md')!;
    expect(roadmap.permissions).toMatchObject({ read: true, write: false, delete: false, rename: false });
    expect((await nextcloud.as('bob').files.readText('/Shared/Plans/Roadmap.md', { maxBytes: 1000 })).text).toContain('Roadmap');
  });

  it('handles non-ASCII names', async () => {
    const entry = await nextcloud.as('alice').files.stat('/Notes/Meeting ümlaut.md');
    expect(entry).toMatchObject({ name: 'Meeting ümlaut.md', path: '/Notes/Meeting ümlaut.md', type: 'file' });
  });
});

describe('isolation between users', () => {
  it("keeps alice's private files from bob by every path spelling", async () => {
    const bob = nextcloud.as('bob').files;
    expect((await failure(bob.stat('/Documents/Notes.txt'))).code).toBe('not_found');
    for (const spelling of ['../alice/Documents', '/../alice/Readme.md', '%2e%2e/alice']) {
      await expect(bob.list(spelling)).rejects.toThrow();
    }
    // A raw request with encoded dot segments, bypassing the client's own path check.
    const headers = {
      'EX-APP-ID': 'mcp_gateway',
      'EX-APP-VERSION': '0.1.0',
      'AUTHORIZATION-APP-API': Buffer.from(`bob:${secret}`).toString('base64'),
    };
    for (const path of [
      '/remote.php/dav/files/alice/Documents/',
      '/remote.php/dav/files/bob/%2e%2e/alice/Documents/',
      '/remote.php/dav/files/bob/..%2falice/Readme.md',
    ]) {
      const response = await fetch(`${sim.url}${path}`, { method: 'PROPFIND', headers: { ...headers, Depth: '1' } });
      expect(response.status).toBe(404);
    }
  });

  it('refuses .. in paths before anything is sent', async () => {
    await expect(nextcloud.as('bob').files.list('/Shared/../../alice')).rejects.toThrow(/may not contain/);
  });
});

describe('reading', () => {
  it('reads an exact byte range of the 8 MiB file without fetching the rest', async () => {
    const files = nextcloud.as('alice').files;
    const full = await files.stat('/Media/dataset.bin');
    expect(full.size).toBe(8 * 1024 * 1024);
    const ranged = await files.read('/Media/dataset.bin', { range: { start: 1_000_000, end: 1_000_099 } });
    const chunks: Buffer[] = [];
    for await (const chunk of ranged.stream) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    expect(bytes.length).toBe(100);
    expect(ranged).toMatchObject({ partial: true, size: 8 * 1024 * 1024, length: 100 });
    // The same bytes as the same window of a whole read.
    const whole = await files.read('/Media/dataset.bin');
    let offset = 0;
    const window: Buffer[] = [];
    for await (const chunk of whole.stream) {
      const buffer = chunk as Buffer;
      if (offset + buffer.length > 1_000_000 && offset < 1_000_100)
        window.push(buffer.subarray(Math.max(0, 1_000_000 - offset), Math.min(buffer.length, 1_000_100 - offset)));
      offset += buffer.length;
    }
    expect(Buffer.concat(window).equals(bytes)).toBe(true);
  });

  it('truncates text at a size cap and says so', async () => {
    const result = await nextcloud.as('alice').files.readText('/Readme.md', { maxBytes: 10 });
    expect(result.truncated).toBe(true);
    expect(Buffer.byteLength(result.text)).toBeLessThanOrEqual(10);
  });
});

describe('writing', () => {
  it('creates, updates with an etag, and refuses a stale etag', async () => {
    const files = nextcloud.as('alice').files;
    const created = await files.write('/Documents/draft.txt', 'one', { ifNoneMatch: true });
    expect(created.created).toBe(true);
    expect(created.etag).toBeTruthy();
    expect((await failure(files.write('/Documents/draft.txt', 'again', { ifNoneMatch: true }))).code).toBe('precondition_failed');
    const updated = await files.write('/Documents/draft.txt', 'two', { ifMatch: created.etag! });
    expect(updated.created).toBe(false);
    const stale = await failure(files.write('/Documents/draft.txt', 'three', { ifMatch: created.etag! }));
    expect(stale.code).toBe('precondition_failed');
    expect(stale.message).toMatch(/changed since it was read/);
    expect((await files.readText('/Documents/draft.txt', { maxBytes: 100 })).text).toBe('two');
  });

  it('gives bob a clear forbidden error when writing into the read-only share', async () => {
    const error = await failure(nextcloud.as('bob').files.write('/Shared/Plans/Roadmap.md', 'overwritten'));
    expect(error.code).toBe('forbidden');
    expect(error.status).toBe(403);
    expect(error.message).toContain('bob may not change /Shared/Plans/Roadmap.md');
    expect(error.message).not.toContain(secret);
    expect((await failure(nextcloud.as('bob').files.mkdir('/Shared/Plans/new'))).code).toBe('forbidden');
    expect((await failure(nextcloud.as('bob').files.delete('/Shared/Plans/Roadmap.md'))).code).toBe('forbidden');
    expect((await nextcloud.as('alice').files.readText('/Plans/Roadmap.md', { maxBytes: 1000 })).text).not.toContain('overwritten');
  });

  it('maps a missing parent to conflict and an existing folder to conflict', async () => {
    const files = nextcloud.as('alice').files;
    expect((await failure(files.write('/No/Such/Folder/x.txt', 'x'))).code).toBe('conflict');
    expect((await failure(files.mkdir('/Documents'))).code).toBe('conflict');
  });

  it('makes folders, moves, copies and deletes to the trash', async () => {
    const files = nextcloud.as('alice').files;
    await files.mkdir('/Work');
    await files.write('/Work/a.txt', 'alpha');
    const before = await files.stat('/Work/a.txt');
    await files.move('/Work/a.txt', '/Work/b.txt');
    const moved = await files.stat('/Work/b.txt');
    expect(moved.fileId).toBe(before.fileId);
    await files.copy('/Work/b.txt', '/Work/c.txt');
    expect((await files.list('/Work')).map((entry) => entry.name).sort()).toEqual(['b.txt', 'c.txt']);
    expect((await failure(files.copy('/Work/b.txt', '/Work/c.txt', { overwrite: false }))).code).toBe('precondition_failed');
    await files.delete('/Work/c.txt');
    expect((await failure(files.stat('/Work/c.txt'))).code).toBe('not_found');
  });
});

describe('search', () => {
  it('finds by name across own files and shares, in the user namespace', async () => {
    const bob = await nextcloud.as('bob').files.search({ nameContains: 'roadmap' });
    expect(bob.map((entry) => entry.path)).toEqual(['/Shared/Plans/Roadmap.md']);
    const alice = await nextcloud.as('alice').files.search({ nameContains: 'roadmap' });
    expect(alice.map((entry) => entry.path)).toEqual(['/Plans/Roadmap.md']);
  });

  it('filters by type, MIME family, folder and favourites, and pages', async () => {
    const files = nextcloud.as('alice').files;
    const pdfs = await files.search({ mimeType: 'application/pdf' });
    expect(pdfs.map((entry) => entry.name)).toEqual(['Report 2026.pdf']);
    const texts = await files.search({ mimeType: 'text/', under: '/Plans', type: 'file' });
    expect(texts.map((entry) => entry.path).sort()).toEqual(['/Plans/Q3/Milestones.txt', '/Plans/Roadmap.md']);
    const folders = await files.search({ type: 'folder', under: '/Plans' });
    expect(folders.every((entry) => entry.type === 'folder')).toBe(true);
    expect((await files.search({ favorite: true })).map((entry) => entry.path)).toContain('/Readme.md');
    const page1 = await files.search({ orderBy: 'name', limit: 2 });
    const page2 = await files.search({ orderBy: 'name', limit: 2, offset: 2 });
    expect(page1).toHaveLength(2);
    expect(page2[0]!.path).not.toBe(page1[0]!.path);
    expect((await files.search({ modifiedAfter: new Date(Date.now() + 86_400_000) })).length).toBe(0);
  });
});

describe('edges of the files API', () => {
  it('handles names with URL-special characters through every operation', async () => {
    const files = nextcloud.as('alice').files;
    await files.mkdir('/Odd #1');
    const written = await files.write('/Odd #1/50% off?&x=1.txt', 'odd');
    const entry = await files.stat('/Odd #1/50% off?&x=1.txt');
    expect(entry).toMatchObject({ name: '50% off?&x=1.txt', path: '/Odd #1/50% off?&x=1.txt', size: 3 });
    expect(written.fileId).toBe(entry.fileId);
    expect(written.etag).toBe(entry.etag);
    await files.copy('/Odd #1/50% off?&x=1.txt', '/Odd #1/copy + ü.txt');
    await files.move('/Odd #1/copy + ü.txt', '/Odd #1/moved ;,.txt');
    expect((await files.list('/Odd #1')).map((item) => item.name).sort()).toEqual(['50% off?&x=1.txt', 'moved ;,.txt']);
    expect((await files.readText('/Odd #1/moved ;,.txt', { maxBytes: 100 })).text).toBe('odd');
    expect((await files.search({ nameContains: 'off?&' })).map((item) => item.path)).toEqual(['/Odd #1/50% off?&x=1.txt']);
    await files.delete('/Odd #1');
    expect((await failure(files.stat('/Odd #1'))).code).toBe('not_found');
  });

  it('searches names with LIKE wildcards literally', async () => {
    const files = nextcloud.as('bob').files;
    await files.write('/Notes/plan_a.txt', 'a');
    await files.write('/Notes/planxa.txt', 'x');
    await files.write('/Notes/100% sure.txt', 's');
    expect((await files.search({ nameContains: 'plan_' })).map((entry) => entry.name)).toEqual(['plan_a.txt']);
    expect((await files.search({ nameContains: 'plan', type: 'file', under: '/Notes' })).map((entry) => entry.name).sort()).toEqual([
      'plan_a.txt',
      'planxa.txt',
    ]);
    expect((await files.search({ nameContains: '0% s' })).map((entry) => entry.name)).toEqual(['100% sure.txt']);
    for (const name of ['plan_a.txt', 'planxa.txt', '100% sure.txt']) await files.delete(`/Notes/${name}`);
  });

  it('reads an empty file as empty text', async () => {
    const files = nextcloud.as('bob').files;
    await files.write('/empty.txt', '');
    expect(await files.readText('/empty.txt', { maxBytes: 100 })).toMatchObject({ text: '', truncated: false });
    await files.delete('/empty.txt');
  });

  it('lists a file as itself and reads the whole 8 MiB file as a stream of the right length', async () => {
    const files = nextcloud.as('alice').files;
    expect((await files.list('/Readme.md')).map((entry) => entry.path)).toEqual(['/Readme.md']);
    const whole = await files.read('/Media/dataset.bin');
    let total = 0;
    for await (const chunk of whole.stream) total += (chunk as Buffer).length;
    expect(total).toBe(8 * 1024 * 1024);
    expect(whole).toMatchObject({ partial: false, size: 8 * 1024 * 1024 });
  });

  it('cuts a text read at the byte cap without splitting a character', async () => {
    const files = nextcloud.as('alice').files;
    const full = (await files.readText('/Notes/Meeting ümlaut.md', { maxBytes: 100_000 })).text;
    expect(full.length).toBeGreaterThan(0);
    await files.write('/Notes/multibyte.txt', 'ääääää');
    const cut = await files.readText('/Notes/multibyte.txt', { maxBytes: 5 });
    expect(cut).toMatchObject({ text: 'ää', truncated: true, size: 12 });
    await files.delete('/Notes/multibyte.txt');
  });

  it('maps a missing source, a missing target folder and a read of nothing to clear codes', async () => {
    const files = nextcloud.as('alice').files;
    const missing = await failure(files.read('/Documents/nope.txt'));
    expect(missing).toMatchObject({ code: 'not_found', status: 404, method: 'GET' });
    expect(missing.message).toContain('/Documents/nope.txt');
    expect(missing.message).toContain('alice');
    expect((await failure(files.move('/Documents/nope.txt', '/x.txt'))).code).toBe('not_found');
    expect((await failure(files.copy('/Readme.md', '/No/Folder/x.md'))).code).toBe('conflict');
    expect((await failure(files.move('/Readme.md', '/Documents/Notes.txt', { overwrite: false }))).code).toBe('precondition_failed');
    await expect(files.delete('/')).rejects.toThrow(/home folder/);
    const folder = await failure(files.read('/Documents'));
    expect(folder.code).toBe('bad_request');
    expect(folder.message).toContain('/Documents is a folder');
  });

  it('refuses DAV access with a wrong secret or for a disabled user', async () => {
    const wrong = createNextcloud({
      baseUrl: sim.url,
      appId: 'mcp_gateway',
      appVersion: '0.1.0',
      appSecret: 'not-the-secret',
      timeoutMs: 10_000,
    }).as('alice');
    const error = await failure(wrong.files.list('/'));
    expect(error).toMatchObject({ code: 'unauthorized', status: 401 });
    expect(error.message).not.toContain('not-the-secret');
    expect((await failure(wrong.calendar.calendars())).code).toBe('unauthorized');
    sim.throttler.reset('127.0.0.1', 'app_api');
    sim.setUserEnabled('bob', false);
    try {
      expect((await failure(nextcloud.as('bob').files.list('/'))).code).toBe('unauthorized');
    } finally {
      sim.setUserEnabled('bob', true);
    }
    expect((await failure(nextcloud.as('nobody').files.list('/'))).code).toBe('unauthorized');
    sim.throttler.reset('127.0.0.1', 'app_api');
  });
});
