// VersionsClient and TrashClient against the simulator as alice and bob: listing, reading and restoring versions,
// listing and restoring trash bin items, and how refusals and bad answers are reported.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Nextcloud } from '../../lib/index.js';
import { createNextcloud } from '../../lib/index.js';
import type { Simulator } from '../nextcloud-sim/index.js';
import { failure, startLibFixture } from '../support/lib-fixture.js';

let sim: Simulator;
let nextcloud: Nextcloud;

beforeAll(async () => {
  ({ sim, nextcloud } = await startLibFixture());
});
afterAll(() => sim?.stop());

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe('VersionsClient', () => {
  it('lists the versions of a file newest first, the current content marked, and reads each', async () => {
    const alice = nextcloud.as('alice');
    const notes = await alice.files.stat('/Documents/Notes.txt');
    const versions = await alice.versions.list(notes.fileId!);
    expect(versions).toHaveLength(3);
    expect(versions.map((v) => v.current)).toEqual([true, false, false]);
    expect(versions.map((v) => Number(v.id))).toEqual(versions.map((v) => Number(v.id)).sort((a, b) => b - a));
    expect(versions[1]).toMatchObject({ size: 30, author: 'alice', label: '' });
    expect(Date.parse(versions[1]!.modified)).toBe(Number(versions[1]!.id) * 1000);
    expect(text(await alice.versions.read(notes.fileId!, versions[2]!.id))).toBe('Shopping list: tea.\n');
    expect(text(await alice.versions.read(notes.fileId!, versions[0]!.id))).toBe(
      (await alice.files.readText('/Documents/Notes.txt', { maxBytes: 10_000 })).text,
    );
  });

  it('restores a version; the replaced content becomes a version', async () => {
    const alice = nextcloud.as('alice');
    await alice.files.write('/versioned.txt', 'first');
    await alice.files.write('/versioned.txt', 'second');
    const { fileId } = await alice.files.stat('/versioned.txt');
    const [, earlier] = await alice.versions.list(fileId!);
    await alice.versions.restore(fileId!, earlier!.id);
    expect((await alice.files.readText('/versioned.txt', { maxBytes: 10_000 })).text).toBe('first');
    const after = await alice.versions.list(fileId!);
    const contents = await Promise.all(after.map(async (v) => text(await alice.versions.read(fileId!, v.id))));
    expect(contents[0]).toBe('first');
    expect(contents).toContain('second');
  });

  it('refuses what Nextcloud refuses: a read-only share, a file out of reach, a bad id', async () => {
    const roadmap = await nextcloud.as('alice').files.stat('/Plans/Roadmap.md');
    await nextcloud.as('alice').files.write('/Plans/Roadmap.md', '# Roadmap, again\n');
    const bobs = await nextcloud.as('bob').versions.list(roadmap.fileId!);
    expect(bobs.length).toBeGreaterThan(1);
    expect((await failure(nextcloud.as('bob').versions.restore(roadmap.fileId!, bobs[1]!.id))).code).toBe('forbidden');
    const budget = await nextcloud.as('alice').files.stat('/Documents/Budget.csv');
    expect((await failure(nextcloud.as('bob').versions.list(budget.fileId!))).code).toBe('not_found');
    await expect(nextcloud.as('alice').versions.read(1, '../x')).rejects.toThrow(/not a version id/);
  });
});

describe('TrashClient', () => {
  it('lists the seeded item with where it was, when and its file id', async () => {
    const items = await nextcloud.as('alice').trash.list();
    const draft = items.find((item) => item.name === 'Old draft.txt')!;
    expect(draft).toMatchObject({ originalLocation: '/Documents/Old draft.txt', type: 'file' });
    expect(draft.id).toMatch(/^Old draft\.txt\.d\d+$/);
    expect(Date.parse(draft.deletedAt) / 1000).toBe(Number(draft.id.split('.d').pop()));
    expect(draft.fileId).toBeGreaterThan(0);
    expect(await nextcloud.as('bob').trash.list()).toEqual([]);
  });

  it('restores an item to where it was, with its file id', async () => {
    const alice = nextcloud.as('alice');
    await alice.files.write('/Documents/gone.txt', 'back again');
    const { fileId } = await alice.files.stat('/Documents/gone.txt');
    await alice.files.delete('/Documents/gone.txt');
    const item = (await alice.trash.list()).find((candidate) => candidate.originalLocation === '/Documents/gone.txt')!;
    expect(item.fileId).toBe(fileId);
    await alice.trash.restore(item.id);
    expect((await alice.files.stat('/Documents/gone.txt')).fileId).toBe(fileId);
    expect((await alice.trash.list()).some((candidate) => candidate.id === item.id)).toBe(false);
    expect((await failure(alice.trash.restore(item.id))).code).toBe('not_found');
    await expect(alice.trash.restore('../x')).rejects.toThrow(/not a trash bin item/);
  });

  it('reports an item without a deletion time as a protocol error', async () => {
    const broken = createNextcloud({
      baseUrl: 'http://nextcloud.invalid',
      appId: 'mcp_gateway',
      appVersion: '0.1.0',
      appSecret: 'x'.repeat(64),
      fetch: async () =>
        new Response(
          '<?xml version="1.0"?><d:multistatus xmlns:d="DAV:" xmlns:nc="http://nextcloud.org/ns"><d:response><d:href>/remote.php/dav/trashbin/alice/trash/a.d1</d:href><d:propstat><d:prop><nc:trashbin-original-location>a</nc:trashbin-original-location></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response></d:multistatus>',
          { status: 207, headers: { 'content-type': 'application/xml' } },
        ),
    });
    expect((await failure(broken.as('alice').trash.list())).code).toBe('protocol');
  });
});
