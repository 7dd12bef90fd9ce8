// The admin's folder allowlist: file tools may only reach paths inside the listed top-level folders. Paths are
// checked on the way in (what a client names) and filtered on the way out (what Nextcloud lists or finds).
// Every spelling that could reach outside is refused rather than repaired: ".." (always), and while an allowlist
// is set also percent-encoded dots and slashes and names ending in a dot or a space (which some storages strip,
// turning "/Projects." into "/Projects"); control characters always. Comparison is on NFC-normalised, case-sensitive paths, as Nextcloud stores them.
import { normalizePath } from '../../lib/index.js';

export type PathRelation =
  /** The path is one of the allowed folders or below one. */
  | 'inside'
  /** The path leads towards an allowed folder (e.g. "/" or "/Shared" for "/Shared/Handbook"): listable, filtered. */
  | 'ancestor'
  | 'outside';

export type ConfinedPath = { ok: true; path: string; relation: PathRelation } | { ok: false; reason: string };

const ENCODED_DOT_OR_SLASH = /%(2e|2f|5c)/i;
const CONTROL = /[\u0000-\u001f\u007f]/;

/** The canonical form of a path for comparison: normalised segments, NFC. Throws on ".." (lib's rule). */
function canonical(path: string): string {
  return normalizePath(path.normalize('NFC'));
}

export function relationTo(path: string, allowlist: readonly string[]): PathRelation {
  if (allowlist.length === 0) return 'inside';
  const target = canonical(path);
  let relation: PathRelation = 'outside';
  for (const entry of allowlist) {
    const folder = canonical(entry);
    if (folder === '/' || target === folder || target.startsWith(`${folder}/`)) return 'inside';
    if (target === '/' || folder.startsWith(`${target}/`)) relation = 'ancestor';
  }
  return relation;
}

/** Checks a path a client named. The answer carries the canonical path to use from then on. */
export function confinePath(input: string, allowlist: readonly string[]): ConfinedPath {
  if (CONTROL.test(input)) return { ok: false, reason: 'the path contains control characters' };
  const confined = allowlist.length > 0;
  if (confined && ENCODED_DOT_OR_SLASH.test(input))
    return { ok: false, reason: `the path "${input}" contains percent-encoded dots or slashes; give the plain path` };
  let path: string;
  try {
    path = canonical(input);
  } catch {
    return { ok: false, reason: `the path "${input}" may not contain ".."` };
  }
  const badName = confined ? path.split('/').find((segment) => /[. ]$/.test(segment)) : undefined;
  if (badName !== undefined)
    return { ok: false, reason: `the name "${badName}" ends in a dot or a space, which Nextcloud does not accept` };
  const relation = relationTo(path, allowlist);
  if (relation === 'outside') {
    return {
      ok: false,
      reason: `${path} is outside the folders the administrator made available (${allowlist.map(canonical).join(', ')})`,
    };
  }
  return { ok: true, path, relation };
}

/** Whether an entry Nextcloud returned may be shown: inside an allowed folder, or on the way to one. */
export function isVisible(path: string, allowlist: readonly string[]): boolean {
  try {
    return relationTo(path, allowlist) !== 'outside';
  } catch {
    return false;
  }
}
