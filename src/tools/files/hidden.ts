// The admin's "hidden by tag" rule: files and folders carrying one of the policy's hidden system tags, and
// everything below a tagged folder, exist for no tool. Fails closed: when the tags cannot be read, nothing is shown.
import type { NextcloudUserClient } from '../../../lib/index.js';
import { isInvalidArgumentError, isNextcloudError, normalizePath } from '../../../lib/index.js';
import type { ToolContext } from '../tool.js';
import { ToolError } from '../tool.js';

export interface HiddenFiles {
  /** Whether a path in the user's files (as the user sees it, e.g. /Shared/Plans/x.md) is hidden. */
  hidesPath(path: string): boolean;
  /** Whether the file or folder with this Nextcloud file id is hidden (tagged itself, or found below a tagged folder). */
  hidesFileId(fileId: string | number): boolean;
  /** Whether something hidden lies below this folder (its size, counted by Nextcloud, includes it). */
  hidesBelow?(path: string): boolean;
  /** Files were moved: the next call reads the tagged files afresh instead of reusing this answer. */
  changed?(): void;
}

const NOTHING_HIDDEN: HiddenFiles = { hidesPath: () => false, hidesFileId: () => false, hidesBelow: () => false };

/** How long a user's hidden set is reused: tags change rarely, and every tool call would otherwise cost 1 + n requests. */
const TTL_MS = 10_000;
/** How many (user, tag set) answers are kept. */
const MAX_ENTRIES = 256;

interface Entry {
  /** The user's client: another Nextcloud (or a rebuilt client) never reuses this answer. */
  client: NextcloudUserClient;
  expires: number;
  hidden: Promise<HiddenFiles>;
}

const recent = new Map<string, Entry>();

/** Empties the cache (for tests that change tags and must see the change at once). */
export function forgetHiddenFiles(): void {
  recent.clear();
}

/** Paths are compared case-insensitively: a storage that ignores case must not let /plans/q3 past /Plans/Q3. */
function comparable(path: string): string {
  return normalizePath(path).normalize('NFC').toLowerCase();
}

function refusal(userId: string, why: string, cause?: unknown): ToolError {
  const error = new ToolError(
    'not_allowed',
    `Refused: the administrator hides some files from this connector by tag, and that rule cannot be checked for ${userId} right now (${why}), so no file can be shown or changed. Try again later; if this persists, ask the Nextcloud administrator.`,
  );
  if (cause !== undefined) Object.defineProperty(error, 'cause', { value: cause, enumerable: false });
  return error;
}

async function compute(user: NextcloudUserClient, userId: string, tagNames: readonly string[]): Promise<HiddenFiles> {
  let tags;
  try {
    tags = await user.tags.list();
  } catch (error) {
    throw refusal(
      userId,
      isNextcloudError(error) ? `reading the system tags failed: ${error.code}` : 'reading the system tags failed',
      error,
    );
  }
  const ids: number[] = [];
  for (const name of tagNames) {
    // Every tag of that name counts (names may repeat with another visibility, and differ in case only).
    const named = tags.filter((t) => t.name.toLowerCase() === name.toLowerCase());
    // An invisible tag (or one that was deleted) cannot be evaluated for this user: nothing can be shown.
    if (named.length === 0) throw refusal(userId, 'a tag the rule names is not visible to this account');
    ids.push(...named.map((tag) => tag.id));
  }
  const paths = new Set<string>();
  const fileIds = new Set<string>();
  for (const id of ids) {
    let found;
    try {
      found = await user.tags.filesWith([id]);
    } catch (error) {
      throw refusal(
        userId,
        isNextcloudError(error) ? `finding the tagged files failed: ${error.code}` : 'finding the tagged files failed',
        error,
      );
    }
    for (const entry of found) {
      paths.add(comparable(entry.path));
      if (entry.fileId !== null) fileIds.add(String(entry.fileId));
    }
  }
  if (paths.size === 0 && fileIds.size === 0) return NOTHING_HIDDEN;
  return {
    hidesPath(path) {
      let current: string;
      try {
        current = comparable(path);
      } catch (error) {
        // A path that cannot be normalised names no file; it is refused elsewhere, and never shown.
        if (isInvalidArgumentError(error)) return true;
        throw error;
      }
      for (;;) {
        if (paths.has(current)) return true;
        if (current === '/') return false;
        current = current.slice(0, current.lastIndexOf('/')) || '/';
      }
    },
    hidesFileId: (fileId) => fileIds.has(String(fileId)),
    hidesBelow(path) {
      const prefix = comparable(path);
      const under = prefix === '/' ? '/' : `${prefix}/`;
      for (const hidden of paths) if (hidden.startsWith(under)) return true;
      return false;
    },
  };
}

/** What hiddenFiles resolved to for a call, for code that runs synchronously afterwards (how an entry is shown). */
const resolvedFor = new WeakMap<object, HiddenFiles>();

/** The hidden files of a call, when hiddenFiles already resolved them for it. */
export function knownHiddenFiles(context: object): HiddenFiles | undefined {
  return resolvedFor.get(context);
}

/** The hidden files of this call's user, under this call's policy. */
export async function hiddenFiles(context: ToolContext): Promise<HiddenFiles> {
  const hidden = await hiddenFilesOf(context);
  resolvedFor.set(context, hidden);
  return hidden;
}

async function hiddenFilesOf(context: ToolContext): Promise<HiddenFiles> {
  const tagNames = context.policy.hiddenTags;
  if (tagNames.length === 0) return NOTHING_HIDDEN;
  const key = `${context.userId}\u0000${JSON.stringify([...tagNames].sort())}`;
  const now = Date.now();
  const known = recent.get(key);
  if (known && known.client === context.user && known.expires > now) {
    recent.delete(key);
    recent.set(key, known);
    return known.hidden;
  }
  const forget = () => {
    if (recent.get(key) === entry) recent.delete(key);
  };
  // Moved files change paths for everyone who sees them (a shared folder), so a move forgets every user's answer.
  const moved = () => recent.clear();
  const hidden = compute(context.user, context.userId, tagNames).then((value) =>
    value === NOTHING_HIDDEN ? value : { ...value, changed: moved },
  );
  const entry: Entry = { client: context.user, expires: now + TTL_MS, hidden };
  recent.set(key, entry);
  if (recent.size > MAX_ENTRIES) recent.delete(recent.keys().next().value!);
  // A failure is not kept: the next call asks Nextcloud again.
  hidden.catch(forget);
  return hidden;
}
