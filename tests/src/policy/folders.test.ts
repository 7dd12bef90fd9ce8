import { describe, expect, it } from 'vitest';
import { confinePath, isVisible, relationTo } from '../../../src/policy/folders.js';

const allowlist = ['/Projects', '/Shared/Handbook', '/Übersicht'];

describe('folder allowlist', () => {
  it('admits paths inside an allowed folder, in their canonical form', () => {
    expect(confinePath('/Projects', allowlist)).toEqual({ ok: true, path: '/Projects', relation: 'inside' });
    expect(confinePath('Projects//plan.md', allowlist)).toEqual({ ok: true, path: '/Projects/plan.md', relation: 'inside' });
    expect(confinePath('/Projects/./2026/', allowlist)).toEqual({ ok: true, path: '/Projects/2026', relation: 'inside' });
    expect(confinePath('/Shared/Handbook/intro.md', allowlist)).toMatchObject({ ok: true, relation: 'inside' });
    // The same name, written decomposed (as macOS sends it), is the same folder.
    expect(confinePath('/U\u0308bersicht/a.txt', allowlist)).toEqual({ ok: true, path: '/Übersicht/a.txt', relation: 'inside' });
  });

  it('treats folders on the way to an allowed one as ancestors, to be listed filtered', () => {
    expect(confinePath('/', allowlist)).toMatchObject({ ok: true, relation: 'ancestor' });
    expect(confinePath('/Shared', allowlist)).toMatchObject({ ok: true, relation: 'ancestor' });
    expect(relationTo('/Shared/Plans', allowlist)).toBe('outside');
  });

  it('refuses every escape spelling', () => {
    for (const escape of [
      '/Projects/../Private/secret.txt',
      '../Private',
      '/Projects/./../Private',
      '\\Projects\\..\\Private',
      '/Projects/%2e%2e/Private',
      '/Projects/%2E%2E%2FPrivate',
      '/Projects%2f..%2fPrivate',
      '/Projects%5c..%5cPrivate',
      '/Projects./secret.txt',
      '/Projects /secret.txt',
      '/Projects/../../etc/passwd',
      '/projects/plan.md',
      '/PROJECTS',
      '/ProjectsX/plan.md',
      '/Shared/HandbookOld/a.md',
      '/Projects\uff0f..\uff0fPrivate',
      '/Private',
      '/Projects/\u0000/x',
    ]) {
      const verdict = confinePath(escape, allowlist);
      expect(verdict.ok, escape).toBe(false);
    }
  });

  it('lets everything through without an allowlist, except ".." and control characters', () => {
    expect(confinePath('/Anything/notes.', [])).toEqual({ ok: true, path: '/Anything/notes.', relation: 'inside' });
    expect(confinePath('/a/%2e%2e', [])).toMatchObject({ ok: true, relation: 'inside' });
    expect(confinePath('/a/../b', []).ok).toBe(false);
    expect(confinePath('/a\nb', []).ok).toBe(false);
  });

  it('filters what Nextcloud returns to allowed folders and the way to them', () => {
    const listed = [
      '/Projects',
      '/Photos',
      '/Shared',
      '/Shared/Handbook/x.md',
      '/Shared/Plans/y.md',
      '/Übersicht',
      '/U\u0308bersicht/z',
      '/Projects2',
    ];
    expect(listed.filter((path) => isVisible(path, allowlist))).toEqual([
      '/Projects',
      '/Shared',
      '/Shared/Handbook/x.md',
      '/Übersicht',
      '/U\u0308bersicht/z',
    ]);
    expect(isVisible('/a/../Projects', allowlist)).toBe(false);
  });

  it('an allowlist holding "/" allows everything', () => {
    expect(confinePath('/Private/x', ['/'])).toMatchObject({ ok: true, relation: 'inside' });
  });
});
