// SystemTagsClient against the simulator as alice, bob and admin: visible tags, tags of a file, files by tag
// (shared ones at the user's paths), and how unknown tags and bad answers are reported.
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

const idOf = async (userId: string, name: string) => (await nextcloud.as(userId).tags.list()).find((tag) => tag.name === name)!.id;

describe('SystemTagsClient', () => {
  it('lists the tags a user can see, with what the user may do with them', async () => {
    const tags = await nextcloud.as('alice').tags.list();
    expect(tags.map((tag) => tag.name).sort()).toEqual(['Confidential', 'Project']);
    expect(tags.find((tag) => tag.name === 'Confidential')).toMatchObject({ userVisible: true, userAssignable: false, canAssign: false });
    expect(tags.find((tag) => tag.name === 'Project')).toMatchObject({ userVisible: true, userAssignable: true, canAssign: true });
    const admin = await nextcloud.as('admin').tags.list();
    expect(admin.find((tag) => tag.name === 'Audit')).toMatchObject({ userVisible: false, canAssign: true });
  });

  it('reads the tags of one file; a file the user cannot reach is not found', async () => {
    const budget = await nextcloud.as('alice').files.stat('/Documents/Budget.csv');
    expect((await nextcloud.as('alice').tags.ofFile(budget.fileId!)).map((tag) => tag.name)).toEqual(['Confidential']);
    const notes = await nextcloud.as('alice').files.stat('/Documents/Notes.txt');
    expect((await nextcloud.as('alice').tags.ofFile(notes.fileId!)).map((tag) => tag.name)).toEqual(['Project']);
    expect((await nextcloud.as('admin').tags.list()).length).toBe(3);
    expect((await failure(nextcloud.as('bob').tags.ofFile(budget.fileId!))).code).toBe('not_found');
  });

  it('finds the files carrying a tag, shared ones at the user’s own paths', async () => {
    const confidential = await idOf('alice', 'Confidential');
    const alice = await nextcloud.as('alice').tags.filesWith([confidential]);
    expect(alice.map((entry) => [entry.path, entry.type])).toEqual([
      ['/Documents/Budget.csv', 'file'],
      ['/Plans/Q3', 'folder'],
    ]);
    expect(alice.every((entry) => typeof entry.fileId === 'number')).toBe(true);
    const bob = await nextcloud.as('bob').tags.filesWith([confidential]);
    expect(bob.map((entry) => entry.path)).toEqual(['/Shared/Plans/Q3']);
    const both = await nextcloud.as('alice').tags.filesWith([confidential, await idOf('alice', 'Project')]);
    expect(both).toEqual([]);
  });

  it('assigns and unassigns a tag, within what Nextcloud allows', async () => {
    const alice = nextcloud.as('alice');
    const { fileId } = await alice.files.stat('/Readme.md');
    const project = await idOf('alice', 'Project');
    await alice.tags.assign(fileId!, project);
    expect((await alice.tags.ofFile(fileId!)).map((tag) => tag.name)).toEqual(['Project']);
    expect((await failure(alice.tags.assign(fileId!, await idOf('alice', 'Confidential')))).code).toBe('forbidden');
    expect((await failure(alice.tags.assign(fileId!, 4242))).message).toContain('system tag 4242');
    await alice.tags.unassign(fileId!, project);
    expect(await alice.tags.ofFile(fileId!)).toEqual([]);
    await expect(alice.tags.assign(0, project)).rejects.toThrow(/not a file id/);
  });

  it('names the tag when it is unknown or invisible to the user', async () => {
    const audit = (await nextcloud.as('admin').tags.list()).find((tag) => tag.name === 'Audit')!.id;
    const error = await failure(nextcloud.as('alice').tags.filesWith([audit]));
    expect(error.code).toBe('not_found');
    expect(error.message).toContain(`system tag ${audit}`);
    expect(error.message).toContain('alice');
    // Admins may filter by it; none of admin's own files carries it.
    expect(await nextcloud.as('admin').tags.filesWith([audit])).toEqual([]);
  });

  it('reports an answer that is not a multistatus as a protocol error, not as no tags', async () => {
    const broken = createNextcloud({
      baseUrl: 'http://nextcloud.invalid',
      appId: 'mcp_gateway',
      appVersion: '0.1.0',
      appSecret: 'x'.repeat(64),
      fetch: async () => new Response('<html>login</html>', { status: 200, headers: { 'content-type': 'text/html' } }),
    });
    expect((await failure(broken.as('alice').tags.list())).code).toBe('protocol');
    expect((await failure(broken.as('alice').tags.filesWith([1]))).code).toBe('protocol');
    const noId = createNextcloud({
      baseUrl: 'http://nextcloud.invalid',
      appId: 'mcp_gateway',
      appVersion: '0.1.0',
      appSecret: 'x'.repeat(64),
      fetch: async () =>
        new Response(
          '<?xml version="1.0"?><d:multistatus xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns"><d:response><d:href>/remote.php/dav/systemtags/x</d:href><d:propstat><d:prop><oc:id>x</oc:id></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response></d:multistatus>',
          { status: 207, headers: { 'content-type': 'application/xml' } },
        ),
    });
    expect((await failure(noId.as('alice').tags.list())).code).toBe('protocol');
  });
});
