// The simulator's system tags, file versions and trash bin (FileExtras in tests/nextcloud-sim/dav/) over raw
// WebDAV, as alice, bob and admin: what each answers and how it refuses.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PhpBackend } from './php-backend.js';
import { startPhpBackend } from './php-backend.js';

let dataDir = '';
let php: PhpBackend | undefined;

const OC = '{http://owncloud.org/ns}';
const NC = '{http://nextcloud.org/ns}';

function dav(user: string, method: string, davPath: string, body?: string, extra: Record<string, string> = {}): Promise<Response> {
  return fetch(`${php!.origin}/remote.php/dav/${davPath}`, {
    method,
    headers: { 'x-sim-user': user, 'x-sim-token': php!.token, 'content-type': 'application/xml', ...extra },
    body,
  });
}

interface Entry {
  href: string;
  props: Map<string, string>;
}

/** Props of each d:response keyed {ns}local, from the root's prefix declarations. */
function parse(xml: string): Entry[] {
  const namespaces = new Map<string, string>();
  for (const match of xml.matchAll(/xmlns:(\w+)="([^"]+)"/g)) if (!namespaces.has(match[1]!)) namespaces.set(match[1]!, match[2]!);
  const clark = (qname: string) => {
    const [prefix, local] = qname.split(':');
    return `{${namespaces.get(prefix!) ?? ''}}${local}`;
  };
  return [...xml.matchAll(/<d:response>([\s\S]*?)<\/d:response>/g)].map((response) => {
    const body = response[1]!;
    const props = new Map<string, string>();
    for (const propstat of body.matchAll(/<d:propstat>([\s\S]*?)<\/d:propstat>/g)) {
      if (!propstat[1]!.includes('200 OK')) continue;
      const prop = /<d:prop>([\s\S]*)<\/d:prop>/.exec(propstat[1]!)![1]!;
      for (const element of prop.matchAll(/<([\w-]+:[\w-]+)(?:\s[^>]*)?(?:\/>|>([\s\S]*?)<\/\1>)/g))
        props.set(clark(element[1]!), element[2] ?? '');
    }
    return { href: decodeURIComponent(/<d:href>([^<]*)<\/d:href>/.exec(body)![1]!), props };
  });
}

const propfindBody = (props: string) =>
  `<d:propfind xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns" xmlns:nc="http://nextcloud.org/ns"><d:prop>${props}</d:prop></d:propfind>`;

async function propfind(user: string, davPath: string, props: string, depth = '1'): Promise<Entry[]> {
  const response = await dav(user, 'PROPFIND', davPath, propfindBody(props), { depth });
  expect(response.status).toBe(207);
  return parse(await response.text());
}

const TAG_PROPS = '<oc:id/><oc:display-name/><oc:user-visible/><oc:user-assignable/><oc:can-assign/>';

async function tagsOf(user: string): Promise<Map<string, Map<string, string>>> {
  const entries = await propfind(user, 'systemtags/', TAG_PROPS);
  return new Map(entries.filter((e) => e.props.has(`${OC}id`)).map((e) => [e.props.get(`${OC}display-name`)!, e.props]));
}

async function fileIdOf(user: string, filePath: string): Promise<number> {
  const [entry] = await propfind(user, `files/${user}/${filePath}`, '<oc:fileid/>', '0');
  return Number(entry!.props.get(`${OC}fileid`));
}

const filter = (rules: string, props = '<oc:fileid/>') =>
  `<oc:filter-files xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns" xmlns:nc="http://nextcloud.org/ns"><d:prop>${props}</d:prop><oc:filter-rules>${rules}</oc:filter-rules></oc:filter-files>`;

let tagId: Record<string, string> = {};

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'file-extras-test-'));
  php = await startPhpBackend(dataDir);
  const admin = await tagsOf('admin');
  tagId = Object.fromEntries([...admin].map(([name, props]) => [name, props.get(`${OC}id`)!]));
}, 30_000);

afterAll(async () => {
  await php?.stop();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('system tags', () => {
  it('lists public and restricted tags to everyone, invisible ones to admins only', async () => {
    const alice = await tagsOf('alice');
    expect([...alice.keys()].sort()).toEqual(['Confidential', 'Project']);
    expect(Object.fromEntries(alice.get('Confidential')!)).toMatchObject({
      [`${OC}user-visible`]: 'true',
      [`${OC}user-assignable`]: 'false',
      [`${OC}can-assign`]: 'false',
    });
    expect(alice.get('Project')!.get(`${OC}can-assign`)).toBe('true');
    const admin = await tagsOf('admin');
    expect([...admin.keys()].sort()).toEqual(['Audit', 'Confidential', 'Project']);
    expect(admin.get('Audit')!.get(`${OC}user-visible`)).toBe('false');
    expect(admin.get('Confidential')!.get(`${OC}can-assign`)).toBe('true');
  });

  it('puts nc:system-tags on file PROPFIND in Nextcloud’s shape, without invisible tags', async () => {
    const response = await dav('alice', 'PROPFIND', 'files/alice/Documents/Notes.txt', propfindBody('<nc:system-tags/>'), { depth: '0' });
    const xml = await response.text();
    const tags = [...xml.matchAll(/<nc:system-tag ([^>]*)>([^<]*)<\/nc:system-tag>/g)];
    expect(tags.map((t) => t[2])).toEqual(['Project']);
    expect(tags[0]![1]).toContain(`oc:id="${tagId.Project}"`);
    expect(tags[0]![1]).toContain('oc:can-assign="true"');
    expect(tags[0]![1]).toContain('oc:user-assignable="true"');
    expect(tags[0]![1]).toContain('oc:user-visible="true"');
    expect(tags[0]![1]).toContain('nc:color=""');
    const admin = await (await dav('admin', 'PROPFIND', 'files/admin/', propfindBody('<nc:system-tags/>'), { depth: '0' })).text();
    expect(admin).toContain('<nc:system-tags/>');
  });

  it('assigns and unassigns through systemtags-relations, with Nextcloud’s refusals', async () => {
    const readme = await fileIdOf('alice', 'Readme.md');
    const relation = (user: string, method: string, tag: string, id = readme) =>
      dav(user, method, `systemtags-relations/files/${id}/${tag}`);
    expect((await relation('alice', 'PUT', tagId.Project!)).status).toBe(201);
    let listed = await propfind('alice', `systemtags-relations/files/${readme}/`, TAG_PROPS);
    expect(listed.map((e) => e.props.get(`${OC}display-name`)).filter(Boolean)).toEqual(['Project']);
    expect((await relation('alice', 'PUT', tagId.Confidential!)).status).toBe(403);
    expect((await relation('alice', 'PUT', tagId.Audit!)).status).toBe(412);
    expect((await relation('alice', 'PUT', '9999')).status).toBe(412);
    expect((await relation('bob', 'PUT', tagId.Project!)).status).toBe(404);
    expect((await relation('alice', 'PUT', tagId.Project!, 999_999)).status).toBe(404);
    // bob reaches alice's Plans read-only: he may see its tags, not change them.
    const roadmap = await fileIdOf('alice', 'Plans/Roadmap.md');
    listed = await propfind('bob', `systemtags-relations/files/${roadmap}/`, TAG_PROPS);
    expect(listed.map((e) => e.props.get(`${OC}display-name`)).filter(Boolean)).toEqual(['Project']);
    expect((await relation('bob', 'DELETE', tagId.Project!, roadmap)).status).toBe(403);
    expect((await relation('alice', 'DELETE', tagId.Project!)).status).toBe(204);
    listed = await propfind('alice', `systemtags-relations/files/${readme}/`, TAG_PROPS);
    expect(listed.filter((e) => e.props.has(`${OC}id`))).toEqual([]);
  });

  it('finds files by tag with REPORT oc:filter-files, AND-ing rules, shared ones at the user’s paths', async () => {
    const report = async (user: string, rules: string, at = `files/${user}/`) => {
      const response = await dav(user, 'REPORT', at, filter(rules));
      return { status: response.status, body: await response.text() };
    };
    const confidential = `<oc:systemtag>${tagId.Confidential}</oc:systemtag>`;
    let answer = await report('alice', confidential);
    expect(answer.status).toBe(207);
    expect(parse(answer.body).map((e) => e.href)).toEqual([
      '/remote.php/dav/files/alice/Documents/Budget.csv',
      '/remote.php/dav/files/alice/Plans/Q3/',
    ]);
    answer = await report('alice', confidential, 'files/alice/Plans/');
    expect(parse(answer.body).map((e) => e.href)).toEqual(['/remote.php/dav/files/alice/Plans/Q3/']);
    answer = await report('bob', confidential);
    expect(parse(answer.body).map((e) => e.href)).toEqual(['/remote.php/dav/files/bob/Shared/Plans/Q3/']);
    answer = await report('alice', `${confidential}<oc:systemtag>${tagId.Project}</oc:systemtag>`);
    expect(parse(answer.body)).toEqual([]);
    answer = await report('alice', `<oc:systemtag>${tagId.Audit}</oc:systemtag>`);
    expect(answer.status).toBe(412);
    expect(answer.body).toContain('Cannot filter by non-existing tag');
    expect((await report('alice', '<oc:systemtag>4242</oc:systemtag>')).status).toBe(412);
    expect((await report('admin', `<oc:systemtag>${tagId.Audit}</oc:systemtag>`)).status).toBe(207);
    expect((await report('alice', '')).status).toBe(400);
  });
});

describe('versions', () => {
  const VERSION_PROPS = '<d:getlastmodified/><d:getcontentlength/><d:getetag/><nc:version-label/><nc:version-author/>';

  it('lists the seeded versions with the current one, and serves each', async () => {
    const id = await fileIdOf('alice', 'Documents/Notes.txt');
    const entries = (await propfind('alice', `versions/alice/versions/${id}`, VERSION_PROPS)).slice(1);
    expect(entries).toHaveLength(3);
    const names = entries.map((e) => e.href.split('/').pop()!);
    expect(entries.map((e) => e.props.get('{DAV:}getetag'))).toEqual(names);
    expect(entries.map((e) => e.props.get(`${NC}version-author`))).toEqual(['alice', 'alice', 'alice']);
    const bodies = await Promise.all(
      names.map(async (name) => (await dav('alice', 'GET', `versions/alice/versions/${id}/${name}`)).text()),
    );
    expect(bodies).toContain('Shopping list: tea.\n');
    expect(bodies).toContain('Shopping list: tea, biscuits.\n');
    expect(bodies).toContain(await (await dav('alice', 'GET', 'files/alice/Documents/Notes.txt')).text());
    expect((await dav('bob', 'PROPFIND', `versions/alice/versions/${id}`, propfindBody(VERSION_PROPS))).status).toBe(403);
    expect((await dav('bob', 'PROPFIND', `versions/bob/versions/${id}`, propfindBody(VERSION_PROPS))).status).toBe(404);
  });

  it('keeps the previous content on overwrite and restores a version, keeping the current one', async () => {
    await dav('alice', 'PUT', 'files/alice/v.txt', 'one');
    const id = await fileIdOf('alice', 'v.txt');
    await dav('alice', 'PUT', 'files/alice/v.txt', 'two');
    await dav('alice', 'PUT', 'files/alice/v.txt', 'three');
    const list = async () =>
      (await propfind('alice', `versions/alice/versions/${id}`, '<d:getcontentlength/>')).slice(1).map((e) => e.href.split('/').pop()!);
    const names = await list();
    expect(names).toHaveLength(3);
    expect(names.map(Number)).toEqual(names.map(Number).sort((a, b) => b - a));
    const contents = await Promise.all(names.map(async (n) => (await dav('alice', 'GET', `versions/alice/versions/${id}/${n}`)).text()));
    const oldest = names[contents.indexOf('one')]!;
    const restore = await dav('alice', 'MOVE', `versions/alice/versions/${id}/${oldest}`, undefined, {
      destination: `${php!.origin}/remote.php/dav/versions/alice/restore/target`,
    });
    expect(restore.status).toBe(201);
    expect(await (await dav('alice', 'GET', 'files/alice/v.txt')).text()).toBe('one');
    const after = await Promise.all(
      (await list()).map(async (n) => (await dav('alice', 'GET', `versions/alice/versions/${id}/${n}`)).text()),
    );
    expect(after).toContain('three');
    expect(after).toContain('two');
  });

  it('keeps the replaced content when a MOVE overwrites a file, without trashing it', async () => {
    await dav('alice', 'PUT', 'files/alice/target.txt', 'old target');
    await dav('alice', 'PUT', 'files/alice/source.txt', 'new content');
    const id = await fileIdOf('alice', 'source.txt');
    const moved = await dav('alice', 'MOVE', 'files/alice/source.txt', undefined, {
      destination: `${php!.origin}/remote.php/dav/files/alice/target.txt`,
    });
    expect(moved.status).toBe(204);
    expect(await fileIdOf('alice', 'target.txt')).toBe(id);
    const names = (await propfind('alice', `versions/alice/versions/${id}`, '<d:getcontentlength/>'))
      .slice(1)
      .map((e) => e.href.split('/').pop()!);
    const contents = await Promise.all(names.map(async (n) => (await dav('alice', 'GET', `versions/alice/versions/${id}/${n}`)).text()));
    expect(contents).toEqual(['new content', 'old target']);
    expect(fs.readdirSync(path.join(dataDir, 'alice', 'trash')).some((name) => name.startsWith('target.txt.d'))).toBe(false);
  });

  it('refuses to restore without update permission, and for another user', async () => {
    const id = await fileIdOf('alice', 'Plans/Roadmap.md');
    await dav('alice', 'PUT', 'files/alice/Plans/Roadmap.md', '# Roadmap v2\n');
    const names = (await propfind('bob', `versions/bob/versions/${id}`, '<d:getcontentlength/>'))
      .slice(1)
      .map((e) => e.href.split('/').pop()!);
    expect(names).toHaveLength(2);
    const restore = await dav('bob', 'MOVE', `versions/bob/versions/${id}/${names[1]}`, undefined, {
      destination: `${php!.origin}/remote.php/dav/versions/bob/restore/target`,
    });
    expect(restore.status).toBe(403);
    expect(await restore.text()).toContain(
      'You cannot restore this version because you do not have update permissions on the source file.',
    );
    expect(await (await dav('alice', 'GET', 'files/alice/Plans/Roadmap.md')).text()).toBe('# Roadmap v2\n');
  });
});

describe('trash bin', () => {
  const TRASH_PROPS =
    '<nc:trashbin-filename/><nc:trashbin-original-location/><nc:trashbin-deletion-time/><oc:fileid/><oc:permissions/><d:displayname/>';
  const items = async (user: string) => (await propfind(user, `trashbin/${user}/trash`, TRASH_PROPS)).slice(1);
  const restore = (user: string, item: string) =>
    dav(user, 'MOVE', `trashbin/${user}/trash/${encodeURIComponent(item)}`, undefined, {
      destination: `${php!.origin}/remote.php/dav/trashbin/${user}/restore/${encodeURIComponent(item)}`,
    });

  it('lists the seeded item with its original location, deletion time and file id', async () => {
    const seeded = (await items('alice')).find((e) => e.props.get(`${NC}trashbin-filename`) === 'Old draft.txt')!;
    expect(seeded.href).toMatch(/\/trashbin\/alice\/trash\/Old draft\.txt\.d\d+$/);
    expect(seeded.props.get(`${NC}trashbin-original-location`)).toBe('Documents/Old draft.txt');
    expect(seeded.href.endsWith(`.d${seeded.props.get(`${NC}trashbin-deletion-time`)}`)).toBe(true);
    expect(Number(seeded.props.get(`${OC}fileid`))).toBeGreaterThan(0);
    expect(seeded.props.get(`${OC}permissions`)).toBe('GD');
    expect((await dav('bob', 'PROPFIND', 'trashbin/alice/trash', propfindBody(TRASH_PROPS), { depth: '1' })).status).toBe(403);
  });

  it('restores to the original folder with the same file id, renaming on a clash, to the root when the folder is gone', async () => {
    await dav('alice', 'MKCOL', 'files/alice/Bin');
    await dav('alice', 'PUT', 'files/alice/Bin/a.txt', 'first');
    const id = await fileIdOf('alice', 'Bin/a.txt');
    expect((await dav('alice', 'DELETE', 'files/alice/Bin/a.txt')).status).toBe(204);
    const item = (await items('alice')).find((e) => e.props.get(`${NC}trashbin-original-location`) === 'Bin/a.txt')!;
    expect(Number(item.props.get(`${OC}fileid`))).toBe(id);
    await dav('alice', 'PUT', 'files/alice/Bin/a.txt', 'second');
    expect((await restore('alice', item.href.split('/').pop()!)).status).toBe(201);
    expect(await (await dav('alice', 'GET', 'files/alice/Bin/a (restored).txt')).text()).toBe('first');
    expect(await fileIdOf('alice', 'Bin/a (restored).txt')).toBe(id);

    await dav('alice', 'DELETE', 'files/alice/Bin/a (restored).txt');
    await dav('alice', 'DELETE', 'files/alice/Bin');
    const again = (await items('alice')).find((e) => e.props.get(`${NC}trashbin-original-location`) === 'Bin/a (restored).txt')!;
    expect((await restore('alice', again.href.split('/').pop()!)).status).toBe(201);
    expect(await (await dav('alice', 'GET', 'files/alice/a (restored).txt')).text()).toBe('first');
    expect((await restore('alice', 'nothing.d1')).status).toBe(404);
  });
});
