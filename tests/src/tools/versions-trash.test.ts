// The versions and trash bin tools as alice and bob against the simulator: what they list, what restoring does
// and says beforehand, the folder allowlist, read-only shares and how refusals read.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Nextcloud } from '../../../lib/index.js';
import { filesTools } from '../../../src/tools/files/index.js';
import { filesListTrash, filesRestoreFromTrash } from '../../../src/tools/files/trash.js';
import { filesListVersions, filesRestoreVersion } from '../../../src/tools/files/versions.js';
import { DEFAULT_POLICY } from '../../../src/policy/policy.js';
import type { Policy } from '../../../src/policy/policy.js';
import type { Tool, ToolContext } from '../../../src/tools/tool.js';
import type { Simulator } from '../../nextcloud-sim/index.js';
import { startLibFixture } from '../../support/lib-fixture.js';
import type { ToolCall, ToolHarness } from '../../support/tool-harness.js';
import { toolHarness } from '../../support/tool-harness.js';

let sim: Simulator;
let nextcloud: Nextcloud;
let tools: ToolHarness;

beforeAll(async () => {
  ({ sim, nextcloud } = await startLibFixture());
  tools = toolHarness(nextcloud, sim.url);
});
afterAll(() => sim?.stop());

const call = (tool: Tool | { name: string }, args: unknown, options?: Parameters<ToolHarness['call']>[2]) =>
  tools.call(tool as Tool, args, options);
const ok = (result: ToolCall) => {
  expect(result.isError, result.text).toBe(false);
  return result.structured as Record<string, any>;
};
const contextFor = (userId: string, policy: Partial<Policy> = {}): ToolContext => ({
  user: nextcloud.as(userId),
  userId,
  clientId: 'test-client',
  scopes: ['files.read', 'files.write'],
  policy: { ...DEFAULT_POLICY, ...policy },
  webRoot: sim.url,
  signal: new AbortController().signal,
  progress: async () => undefined,
  audit: () => undefined,
});
const contentOf = async (user: string, path: string) => (await nextcloud.as(user).files.readText(path, { maxBytes: 100_000 })).text;

describe('definitions', () => {
  it('list with files.read, restore with files.write, and describe every argument', () => {
    const byName = new Map(filesTools.map((tool) => [tool.name, tool]));
    for (const name of ['files_list_versions', 'files_restore_version', 'files_list_trash', 'files_restore_from_trash'])
      expect(byName.has(name)).toBe(true);
    expect(filesListVersions.scopes).toEqual({ allOf: ['files.read'] });
    expect(filesListTrash.scopes).toEqual({ allOf: ['files.read'] });
    expect(filesRestoreVersion.scopes).toEqual({ allOf: ['files.write'] });
    expect(filesRestoreFromTrash.scopes).toEqual({ allOf: ['files.write'] });
    expect(filesRestoreVersion.plan).toBeTypeOf('function');
    expect(filesRestoreFromTrash.plan).toBeUndefined();
    for (const tool of [filesListVersions, filesRestoreVersion, filesListTrash, filesRestoreFromTrash] as Tool[]) {
      for (const [key, field] of Object.entries(tool.input.shape))
        expect((field as { description?: string }).description, `${tool.name}.${key}`).toBeTruthy();
    }
  });
});

describe('versions', () => {
  it('lists the versions of a file, the current one first', async () => {
    const listed = ok(await call(filesListVersions, { path: '/Documents/Notes.txt' }));
    expect(listed.path).toBe('/Documents/Notes.txt');
    expect(listed.versions).toHaveLength(3);
    expect(listed.versions.map((v: { current: boolean }) => v.current)).toEqual([true, false, false]);
    expect(listed.versions[2]).toMatchObject({ size: 20, author: 'alice' });
    expect(listed.versions[2].label).toBeUndefined();
  });

  it('says what a restore replaces, restores, and keeps the replaced content as a version', async () => {
    await nextcloud.as('alice').files.write('/Documents/plan.txt', 'draft one');
    await nextcloud.as('alice').files.write('/Documents/plan.txt', 'draft two');
    const [current, earlier] = ok(await call(filesListVersions, { path: '/Documents/plan.txt' })).versions;
    const plan = await filesRestoreVersion.plan!({ path: '/Documents/plan.txt', versionId: earlier.versionId }, contextFor('alice'));
    expect(plan).toMatch(/Replaces the current content of \/Documents\/plan\.txt.*kept as a version/);
    expect(await filesRestoreVersion.plan!({ path: '/Documents/plan.txt', versionId: current.versionId }, contextFor('alice'))).toBeNull();
    const restored = ok(await call(filesRestoreVersion, { path: '/Documents/plan.txt', versionId: earlier.versionId }));
    expect(restored.restored).toBe(true);
    expect(await contentOf('alice', '/Documents/plan.txt')).toBe('draft one');
    const after = ok(await call(filesListVersions, { path: '/Documents/plan.txt' })).versions;
    const fileId = (await nextcloud.as('alice').files.stat('/Documents/plan.txt')).fileId!;
    const kept = await Promise.all(
      after.map(async (v: { versionId: string }) =>
        new TextDecoder().decode(await nextcloud.as('alice').versions.read(fileId, v.versionId)),
      ),
    );
    expect(kept).toContain('draft two');
    const same = ok(await call(filesRestoreVersion, { path: '/Documents/plan.txt', versionId: after[0].versionId }));
    expect(same.restored).toBe(false);
  });

  it('refuses folders, unknown versions, read-only shares and paths outside the allowlist', async () => {
    expect((await call(filesListVersions, { path: '/Documents' })).text).toMatch(/is a folder/);
    const unknown = await call(filesRestoreVersion, { path: '/Documents/Notes.txt', versionId: '12345' });
    expect(unknown.isError).toBe(true);
    expect(unknown.text).toMatch(/has no version 12345/);
    await nextcloud.as('alice').files.write('/Plans/Roadmap.md', '# Roadmap, rewritten\n');
    const bobs = ok(await call(filesListVersions, { path: '/Shared/Plans/Roadmap.md' }, { user: 'bob' })).versions;
    expect(bobs.length).toBeGreaterThan(1);
    const refused = await call(filesRestoreVersion, { path: '/Shared/Plans/Roadmap.md', versionId: bobs[1].versionId }, { user: 'bob' });
    expect(refused.isError).toBe(true);
    expect(refused.text).toMatch(/read-only/);
    expect(await contentOf('alice', '/Plans/Roadmap.md')).toBe('# Roadmap, rewritten\n');
    const outside = await call(filesListVersions, { path: '/Documents/Notes.txt' }, { policy: { folderAllowlist: ['/Plans'] } });
    expect(outside.isError).toBe(true);
    expect(outside.text).toMatch(/Refused/);
    expect((await call(filesListVersions, { path: '/Private/secret.txt' }, { user: 'alice' })).isError).toBe(true);
  });
});

describe('trash bin', () => {
  it('lists the items with where they were and when they were deleted', async () => {
    const listed = ok(await call(filesListTrash, {}));
    const draft = listed.items.find((item: { name: string }) => item.name === 'Old draft.txt');
    expect(draft).toMatchObject({ originalLocation: '/Documents/Old draft.txt', type: 'file' });
    expect(Number.isNaN(Date.parse(draft.deletedAt))).toBe(false);
    expect(ok(await call(filesListTrash, {}, { user: 'bob' })).items).toEqual([]);
  });

  it('restores an item where it was, renaming it when the name is taken', async () => {
    const alice = nextcloud.as('alice');
    await alice.files.write('/Documents/twice.txt', 'the deleted one');
    await alice.files.delete('/Documents/twice.txt');
    await alice.files.write('/Documents/twice.txt', 'the new one');
    const item = ok(await call(filesListTrash, {})).items.find(
      (i: { originalLocation: string }) => i.originalLocation === '/Documents/twice.txt',
    );
    const restored = ok(await call(filesRestoreFromTrash, { itemId: item.itemId }));
    expect(restored.restoredTo).toBe('/Documents/twice (restored).txt');
    expect(await contentOf('alice', '/Documents/twice (restored).txt')).toBe('the deleted one');
    expect(await contentOf('alice', '/Documents/twice.txt')).toBe('the new one');
    const again = await call(filesRestoreFromTrash, { itemId: item.itemId });
    expect(again.isError).toBe(true);
    expect(again.text).toMatch(/no item/);
  });

  it('shows and restores only items deleted inside the allowed folders', async () => {
    const alice = nextcloud.as('alice');
    await alice.files.write('/Plans/temp.md', 'temporary');
    await alice.files.delete('/Plans/temp.md');
    const policy = { folderAllowlist: ['/Plans'] };
    const listed = ok(await call(filesListTrash, {}, { policy })).items;
    expect(listed.map((i: { originalLocation: string }) => i.originalLocation)).toEqual(['/Plans/temp.md']);
    const all = await alice.trash.list();
    const draft = all.find((i) => i.name === 'Old draft.txt')!;
    expect((await call(filesRestoreFromTrash, { itemId: draft.id }, { policy })).isError).toBe(true);
    expect(all.some((i) => i.id === draft.id)).toBe(true);
    ok(await call(filesRestoreFromTrash, { itemId: listed[0].itemId }, { policy }));
    expect(await contentOf('alice', '/Plans/temp.md')).toBe('temporary');
  });

  it('refuses to restore into the home folder when the original folder is gone and an allowlist applies', async () => {
    const alice = nextcloud.as('alice');
    await alice.files.mkdir('/Plans/Gone');
    await alice.files.write('/Plans/Gone/x.txt', 'x');
    await alice.files.delete('/Plans/Gone/x.txt');
    await alice.files.delete('/Plans/Gone');
    const policy = { folderAllowlist: ['/Plans'] };
    const item = ok(await call(filesListTrash, {}, { policy })).items.find(
      (i: { originalLocation: string }) => i.originalLocation === '/Plans/Gone/x.txt',
    );
    const refused = await call(filesRestoreFromTrash, { itemId: item.itemId }, { policy });
    expect(refused.isError).toBe(true);
    expect(refused.text).toMatch(/no longer exists/);
    const restored = ok(await call(filesRestoreFromTrash, { itemId: item.itemId }));
    expect(restored.restoredTo).toBe('/x.txt');
  });
});
