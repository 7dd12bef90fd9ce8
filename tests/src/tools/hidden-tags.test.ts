// The admin's "hidden by tag" rule, tried from every side a tool offers: alice's Documents/Budget.csv and her
// folder Plans/Q3 carry the restricted tag "Confidential" (bob reaches Plans/Q3 through a share). A hidden file
// must read as missing, refuse every change, vanish from listings and searches, and the rule must fail closed.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Nextcloud } from '../../../lib/index.js';
import { createNextcloud } from '../../../lib/index.js';
import { fetch as chatgptFetch, search as chatgptSearch } from '../../../src/tools/chatgpt/index.js';
import { filesCopy } from '../../../src/tools/files/copy.js';
import { filesCreateFolder } from '../../../src/tools/files/create-folder.js';
import { filesDelete } from '../../../src/tools/files/delete.js';
import { forgetHiddenFiles } from '../../../src/tools/files/hidden.js';
import { filesList } from '../../../src/tools/files/list.js';
import { filesMove } from '../../../src/tools/files/move.js';
import { filesRead } from '../../../src/tools/files/read.js';
import { filesSearch } from '../../../src/tools/files/search.js';
import { filesStat } from '../../../src/tools/files/stat.js';
import { filesListTrash, filesRestoreFromTrash } from '../../../src/tools/files/trash.js';
import { filesListVersions, filesRestoreVersion } from '../../../src/tools/files/versions.js';
import { filesWriteText } from '../../../src/tools/files/write-text.js';
import { DEFAULT_POLICY } from '../../../src/policy/policy.js';
import type { Tool, ToolContext } from '../../../src/tools/tool.js';
import type { Simulator } from '../../nextcloud-sim/index.js';
import { startLibFixture } from '../../support/lib-fixture.js';
import type { ToolCall, ToolHarness } from '../../support/tool-harness.js';
import { toolHarness } from '../../support/tool-harness.js';

let sim: Simulator;
let secret: string;
let nextcloud: Nextcloud;
let tools: ToolHarness;

const HIDE = { policy: { hiddenTags: ['Confidential'] } };

beforeAll(async () => {
  ({ sim, secret, nextcloud } = await startLibFixture());
  tools = toolHarness(nextcloud, sim.url, HIDE);
});
afterAll(() => sim?.stop());
beforeEach(() => forgetHiddenFiles());

const call = (tool: Tool | { name: string }, args: unknown, options?: Parameters<ToolHarness['call']>[2]) =>
  tools.call(tool as Tool, args, options);
const ok = (result: ToolCall) => {
  expect(result.isError, result.text).toBe(false);
  return result.structured as Record<string, any>;
};
/** Fails unless the call failed the way a missing file does, without a word about tags. */
const missing = (result: ToolCall) => {
  expect(result.isError, result.text).toBe(true);
  expect(result.text).toMatch(/does not exist/);
  expect(result.text).not.toMatch(/tag|hidden|confidential/i);
};
const refused = (result: ToolCall) => {
  expect(result.isError, JSON.stringify(result.structured)).toBe(true);
  expect(result.text).not.toMatch(/tag|hidden|confidential/i);
};
const contentOf = async (user: string, path: string) => (await nextcloud.as(user).files.readText(path, { maxBytes: 100_000 })).text;
const exists = async (user: string, path: string) =>
  nextcloud
    .as(user)
    .files.stat(path)
    .then(
      () => true,
      () => false,
    );

const HIDDEN_PATHS = ['/Documents/Budget.csv', '/Plans/Q3', '/Plans/Q3/Milestones.txt'];
const SPELLINGS = [
  '/plans/q3',
  '/PLANS/Q3/Milestones.txt',
  '/Plans/Q3/',
  '//Plans//Q3',
  '/Plans/./Q3/Milestones.txt',
  './Plans/Q3/Milestones.txt',
  'Plans/Q3',
  '/Documents/budget.CSV',
  '/Plans%2FQ3',
  '/Plans/Q3%2FMilestones.txt',
];

describe('without the rule', () => {
  it('shows the tagged files to tools', async () => {
    expect(ok(await call(filesStat, { path: '/Documents/Budget.csv' }, { policy: { hiddenTags: [] } })).name).toBe('Budget.csv');
    const plans = ok(await call(filesList, { path: '/Plans' }, { policy: { hiddenTags: [] } }));
    expect(plans.entries.map((e: { name: string }) => e.name)).toContain('Q3');
  });
});

describe('reading hidden files', () => {
  it('stats, reads and lists them as missing, exactly like a path that does not exist', async () => {
    for (const path of HIDDEN_PATHS) {
      missing(await call(filesStat, { path }));
      missing(await call(filesRead, { path }));
    }
    missing(await call(filesList, { path: '/Plans/Q3' }));
    const absent = await call(filesStat, { path: '/Plans/Q4' });
    const hidden = await call(filesStat, { path: '/Plans/Q3' });
    expect(hidden.text.replaceAll('Q3', 'Q4')).toBe(absent.text);
    expect(hidden.result.structuredContent).toEqual(absent.result.structuredContent);
  });

  it('refuses every spelling of a hidden path', async () => {
    for (const path of SPELLINGS) {
      const stat = await call(filesStat, { path });
      expect(stat.isError, `${path}: ${stat.text}`).toBe(true);
      expect(stat.text).not.toMatch(/M1 design freeze|rent,1200/);
      const read = await call(filesRead, { path });
      expect(read.isError, `${path}: ${read.text}`).toBe(true);
      expect(read.text).not.toMatch(/M1 design freeze|rent,1200/);
    }
  });

  it('leaves them out of the parent folder’s listing, and does not give away their size there', async () => {
    const plans = ok(await call(filesList, { path: '/Plans' }));
    expect(plans.entries.map((e: { name: string }) => e.name)).toEqual(['Roadmap.md']);
    expect(plans.total).toBe(1);
    const documents = ok(await call(filesList, { path: '/Documents' }));
    expect(documents.entries.map((e: { name: string }) => e.name)).not.toContain('Budget.csv');
    const root = ok(await call(filesList, { path: '/' }));
    const plansEntry = root.entries.find((e: { name: string }) => e.name === 'Plans');
    expect(plansEntry).toBeDefined();
    expect(plansEntry.size).toBeUndefined();
    const media = root.entries.find((e: { name: string }) => e.name === 'Media');
    expect(media.size).toBeGreaterThan(0);
  });

  it('finds nothing hidden by search, from any folder', async () => {
    for (const nameContains of ['Milestones', 'Budget', 'Q3']) {
      const found = ok(await call(filesSearch, { nameContains }));
      expect(found.entries, nameContains).toEqual([]);
    }
    const everything = ok(await call(filesSearch, { under: '/Plans', limit: 100 }));
    expect(everything.entries.map((e: { path: string }) => e.path)).toEqual(['/Plans/Roadmap.md']);
    missing(await call(filesSearch, { under: '/Plans/Q3', nameContains: 'M' }));
    refused(await call(filesSearch, { under: '/plans/q3', nameContains: 'M' }));
  });

  it('keeps them out of ChatGPT search and fetch', async () => {
    for (const query of ['Milestones', 'Budget', 'Q3']) {
      const result = await call(chatgptSearch, { query });
      expect(result.isError, result.text).toBe(false);
      const found = JSON.parse(result.text);
      expect(
        found.results.filter((r: { id: string }) => r.id.startsWith('file:')),
        query,
      ).toEqual([]);
    }
    for (const id of ['file:/Plans/Q3/Milestones.txt', 'file:/Documents/Budget.csv', 'file:/plans/q3', 'file:/Plans/Q3/']) {
      const fetched = await call(chatgptFetch, { id });
      expect(fetched.isError, id).toBe(true);
      expect(fetched.text).not.toMatch(/M1 design freeze|rent,1200/);
    }
    // The folder above lists only what may be seen.
    const plans = JSON.parse((await call(chatgptFetch, { id: 'file:/Plans' })).text);
    expect(plans.text).toContain('Roadmap.md');
    expect(plans.text).not.toContain('Q3');
  });

  it('hides them from bob, who reaches the folder through alice’s share', async () => {
    missing(await call(filesStat, { path: '/Shared/Plans/Q3' }, { user: 'bob' }));
    missing(await call(filesRead, { path: '/Shared/Plans/Q3/Milestones.txt' }, { user: 'bob' }));
    const shared = ok(await call(filesList, { path: '/Shared/Plans' }, { user: 'bob' }));
    expect(shared.entries.map((e: { name: string }) => e.name)).toEqual(['Roadmap.md']);
    expect(ok(await call(filesSearch, { nameContains: 'Milestones' }, { user: 'bob' })).entries).toEqual([]);
    expect(ok(await call(filesStat, { path: '/Shared/Plans/Roadmap.md' }, { user: 'bob' })).name).toBe('Roadmap.md');
  });
});

describe('changing hidden files', () => {
  it('refuses to write over a hidden file or into a hidden folder', async () => {
    refused(await call(filesWriteText, { path: '/Documents/Budget.csv', content: 'gone' }));
    refused(await call(filesWriteText, { path: '/Plans/Q3/Milestones.txt', content: 'gone' }));
    refused(await call(filesWriteText, { path: '/Plans/Q3/new.txt', content: 'sneaked in' }));
    refused(await call(filesWriteText, { path: '/plans/q3/new.txt', content: 'sneaked in' }));
    refused(await call(filesCreateFolder, { path: '/Plans/Q3/Sub' }));
    expect(await contentOf('alice', '/Documents/Budget.csv')).toContain('rent,1200');
    expect(await contentOf('alice', '/Plans/Q3/Milestones.txt')).toContain('M1 design freeze');
    expect(await exists('alice', '/Plans/Q3/new.txt')).toBe(false);
    expect(await exists('alice', '/Plans/Q3/Sub')).toBe(false);
  });

  it('neither moves nor copies anything out of a hidden folder, nor into one', async () => {
    missing(await call(filesMove, { from: '/Plans/Q3/Milestones.txt', to: '/Milestones.txt' }));
    missing(await call(filesMove, { from: '/Plans/Q3', to: '/Open' }));
    missing(await call(filesCopy, { from: '/Plans/Q3/Milestones.txt', to: '/Milestones.txt' }));
    missing(await call(filesCopy, { from: '/Documents/Budget.csv', to: '/Budget copy.csv' }));
    // A copy of the folder above would carry the hidden folder along, untagged.
    refused(await call(filesCopy, { from: '/Plans', to: '/Plans copy' }));
    expect(await exists('alice', '/Plans copy')).toBe(false);
    refused(await call(filesMove, { from: '/Readme.md', to: '/Plans/Q3/' }));
    refused(await call(filesMove, { from: '/Readme.md', to: '/plans/Q3/Readme.md' }));
    refused(await call(filesCopy, { from: '/Readme.md', to: '/Plans/Q3/Readme.md' }));
    refused(await call(filesMove, { from: '/Readme.md', to: '/Documents/Budget.csv', overwrite: true }));
    missing(await call(filesDelete, { path: '/Documents/Budget.csv' }));
    missing(await call(filesDelete, { path: '/Plans/Q3' }));
    expect(await exists('alice', '/Milestones.txt')).toBe(false);
    expect(await exists('alice', '/Budget copy.csv')).toBe(false);
    expect(await exists('alice', '/Plans/Q3/Readme.md')).toBe(false);
    expect(await exists('alice', '/Readme.md')).toBe(true);
    expect(await contentOf('alice', '/Documents/Budget.csv')).toContain('rent,1200');
    expect(await exists('alice', '/Plans/Q3/Milestones.txt')).toBe(true);
  });
});

describe('the folder above a hidden one', () => {
  it('is neither moved nor deleted as a whole, which would move or delete what is hidden in it; its visible items are', async () => {
    refused(await call(filesMove, { from: '/Plans', to: '/Moved plans' }));
    refused(await call(filesDelete, { path: '/Plans' }));
    refused(await call(filesMove, { from: '/plans/', to: '/Moved plans' }));
    // The person is not asked about a delete that would be refused: the plan refuses first.
    const context: ToolContext = {
      user: nextcloud.as('alice'),
      userId: 'alice',
      clientId: 'test-client',
      scopes: ['files.read', 'files.write'],
      policy: { ...DEFAULT_POLICY, ...HIDE.policy },
      webRoot: sim.url,
      signal: new AbortController().signal,
      progress: async () => undefined,
      audit: () => undefined,
    };
    await expect(filesDelete.plan!({ path: '/Plans' }, context)).rejects.toThrow(/cannot be deleted as a whole/);
    await expect(filesDelete.plan!({ path: '/' }, context)).rejects.toThrow(/home folder cannot be deleted/);
    expect(await exists('alice', '/Moved plans')).toBe(false);
    expect(await exists('alice', '/Plans/Q3/Milestones.txt')).toBe(true);
    ok(await call(filesMove, { from: '/Plans/Roadmap.md', to: '/Roadmap.md' }));
    ok(await call(filesMove, { from: '/Roadmap.md', to: '/Plans/Roadmap.md' }));
    missing(await call(filesStat, { path: '/Plans/Q3' }));
  });
});

describe('versions and trash of hidden files', () => {
  it('lists and restores no version of a hidden file', async () => {
    missing(await call(filesListVersions, { path: '/Documents/Budget.csv' }));
    missing(await call(filesListVersions, { path: '/Plans/Q3/Milestones.txt' }));
    missing(await call(filesRestoreVersion, { path: '/Plans/Q3/Milestones.txt', versionId: '1' }));
    expect(ok(await call(filesListVersions, { path: '/Documents/Notes.txt' })).versions.length).toBeGreaterThan(1);
  });

  it('keeps the trash bin closed while files are hidden by tag: what is there cannot be checked for tags', async () => {
    // A tagged file deleted in the Files app: Nextcloud's tag search finds live files only, so nothing could tell.
    const alice = nextcloud.as('alice');
    await alice.files.write('/Plans/Q3/scratch.txt', 'scratch');
    await alice.files.delete('/Plans/Q3/scratch.txt');
    await alice.files.write('/project-file.txt', 'tagged');
    const { fileId } = await alice.files.stat('/project-file.txt');
    await alice.tags.assign(fileId!, (await alice.tags.list()).find((tag) => tag.name === 'Project')!.id);
    await alice.files.delete('/project-file.txt');
    const all = await alice.trash.list();
    const hideBoth = { policy: { hiddenTags: ['Confidential', 'Project'] } };
    const listed = await call(filesListTrash, {}, hideBoth);
    expect(listed.isError).toBe(true);
    expect(listed.text).toContain('the trash bin is not available through it');
    for (const item of all.filter((candidate) => candidate.originalLocation !== '/Documents/Old draft.txt')) {
      const restore = await call(filesRestoreFromTrash, { itemId: item.id }, hideBoth);
      expect(restore.isError).toBe(true);
      expect(restore.text).toContain('the trash bin is not available through it');
    }
    expect((await alice.trash.list()).map((item) => item.id).sort()).toEqual(all.map((item) => item.id).sort());
    // Without the rule, the same trash bin is open again.
    expect(ok(await call(filesListTrash, {}, { policy: { hiddenTags: [] } })).total).toBe(all.length);
  });
});

describe('failing closed', () => {
  /** A Nextcloud whose answers to the tag requests fail. */
  const failing = (matches: (method: string, url: string) => boolean) =>
    toolHarness(
      createNextcloud({
        baseUrl: sim.url,
        appId: 'mcp_gateway',
        appVersion: '0.1.0',
        appSecret: secret,
        fetch: async (input, init) => {
          const url = String(input instanceof Request ? input.url : input);
          if (matches((init?.method ?? 'GET').toUpperCase(), url)) return new Response('', { status: 503 });
          return globalThis.fetch(input, init);
        },
      }),
      sim.url,
      HIDE,
    );
  const everythingRefused = async (harness: ToolHarness) => {
    for (const [tool, args] of [
      [filesStat, { path: '/Readme.md' }],
      [filesRead, { path: '/Readme.md' }],
      [filesList, { path: '/' }],
      [filesSearch, { nameContains: 'Readme' }],
      [filesWriteText, { path: '/new-file.txt', content: 'x' }],
      [filesListVersions, { path: '/Documents/Notes.txt' }],
      [filesListTrash, {}],
      [chatgptFetch, { id: 'file:/Readme.md' }],
    ] as const) {
      const result = await harness.call(tool as unknown as Tool, args);
      expect(result.isError, `${tool.name}: ${result.text}`).toBe(true);
      expect(result.text, tool.name).toMatch(/administrator hides some files.*cannot be checked/);
    }
    expect(await exists('alice', '/new-file.txt')).toBe(false);
  };

  it('refuses everything when the tags cannot be read', async () => {
    await everythingRefused(failing((method, url) => method === 'PROPFIND' && url.includes('/systemtags/')));
  });

  it('refuses everything when the tagged files cannot be found', async () => {
    await everythingRefused(failing((method) => method === 'REPORT'));
  });

  it('refuses everything while the tag list does not answer in time', async () => {
    const slow = toolHarness(
      createNextcloud({ baseUrl: sim.url, appId: 'mcp_gateway', appVersion: '0.1.0', appSecret: secret, timeoutMs: 300 }),
      sim.url,
      HIDE,
    );
    const hold = sim.holdRequests((method, path) => method === 'PROPFIND' && path.includes('/systemtags'));
    try {
      const result = await slow.call(filesStat, { path: '/Readme.md' });
      expect(result.isError).toBe(true);
      expect(result.text).toMatch(/cannot be checked/);
    } finally {
      hold.release();
    }
  });

  it('refuses a non-admin when a configured tag is invisible to them, and works for an admin', async () => {
    const invisible = { policy: { hiddenTags: ['Audit'] } };
    const alice = await call(filesStat, { path: '/Readme.md' }, invisible);
    expect(alice.isError).toBe(true);
    expect(alice.text).toMatch(/cannot be checked/);
    expect(alice.text).not.toContain('Audit');
    ok(await call(filesStat, { path: '/Admin notes.txt' }, { ...invisible, user: 'admin' }));
    const unknown = await call(filesStat, { path: '/Readme.md' }, { policy: { hiddenTags: ['No such tag'] } });
    expect(unknown.isError).toBe(true);
  });

  it('keeps one user’s hidden set from another', async () => {
    // alice's answer is cached; bob's own is computed for him, at his paths.
    ok(await call(filesStat, { path: '/Readme.md' }));
    missing(await call(filesStat, { path: '/Shared/Plans/Q3' }, { user: 'bob' }));
    ok(await call(filesStat, { path: '/Plans' }));
  });
});
