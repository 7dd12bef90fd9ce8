// What the file tools have in common: how a path argument is described to the model, how an entry is shown
// (permissions in words, sharing in plain fields, nothing the allowlist hides), links into the Nextcloud web UI,
// and refusals reworded in the user's terms.
import { z } from 'zod';
import type { FileEntry } from '../../../lib/index.js';
import { isNextcloudError, normalizePath, reworded } from '../../../lib/index.js';
import { relationTo } from '../../policy/folders.js';
import { withoutMissing } from '../absent.js';
import type { ToolContext } from '../tool.js';
import { WELL_FORMED } from '../tool.js';
import type { ConfinedFiles } from './confined.js';
import { confinedFiles } from './confined.js';
import { hiddenFiles, knownHiddenFiles } from './hidden.js';

export const READ_SCOPES = { allOf: ['files.read'] } as const;
export const WRITE_SCOPES = { allOf: ['files.write'] } as const;

/** The user's files as this request may see them: every tool goes through here, never context.user.files. */
export function filesOf(context: ToolContext): ConfinedFiles {
  return confinedFiles(context.user.files, context.policy.folderAllowlist, () => hiddenFiles(context), context.userId);
}

/** The files this request may see, and the path it names, checked against the allowlist and recorded for the audit log. */
export function checkedTarget(context: ToolContext, path: string, purpose: 'look' | 'change'): { files: ConfinedFiles; path: string } {
  const files = filesOf(context);
  const checked = files.check(path, purpose);
  context.audit(checked);
  return { files, path: checked };
}

export const pathField = (what: string) =>
  z
    .string()
    .min(1, 'give a path such as /Documents/Notes.txt')
    .max(4096)
    .refine(...WELL_FORMED)
    .describe(
      `${what}. A path in the user's own Nextcloud files, starting at their home folder, e.g. /Documents/Notes.txt; items shared with the user appear where they see them, often under /Shared/.`,
    );

export const limitField = (fallback: number, max: number) =>
  z.number().int().min(1).max(max).default(fallback).describe(`How many entries to return at most (1-${max}, default ${fallback}).`);
export const offsetField = z
  .number()
  .int()
  .min(0)
  .default(0)
  .describe('How many entries to skip, for the next page: pass the nextOffset of the previous answer.');

export const PERMISSION_WORDS = ['read', 'write', 'create', 'delete', 'rename', 'share'] as const;

export const entrySchema = z.object({
  path: z.string().describe("Full path in the user's files; pass it to the other file tools as it is."),
  name: z.string(),
  type: z.enum(['file', 'folder']),
  size: z
    .number()
    .optional()
    .describe('Bytes (for folders, everything inside); absent when the folder also holds items this connector may not show.'),
  modified: z.string().optional().describe('Last modification, ISO 8601.'),
  contentType: z.string().optional().describe('MIME type of a file; absent for folders.'),
  etag: z.string().optional().describe('Version tag; pass it to files_write_text as etag to replace this exact version.'),
  fileId: z.number().optional(),
  permissions: z
    .array(z.enum(PERMISSION_WORDS))
    .describe('What the user may do: write = change the content of a file, create = add items to a folder.'),
  sharedWithUser: z.boolean().describe("The item reached the user through someone else's share."),
  sharedByUser: z.boolean().describe('The user shares this item with others.'),
  owner: z.object({ id: z.string(), displayName: z.string().optional() }).optional().describe('The owner, when it is not the user.'),
  favorite: z.boolean(),
});
export type EntryView = z.infer<typeof entrySchema>;

export function permissionWords(entry: FileEntry): Array<(typeof PERMISSION_WORDS)[number]> {
  const p = entry.permissions;
  const words: Array<(typeof PERMISSION_WORDS)[number]> = [];
  if (p.read) words.push('read');
  if (p.write && entry.type === 'file') words.push('write');
  if (p.create) words.push('create');
  // A received share's root always carries delete and rename (leave the share, rename the mount point); they
  // say nothing about the content, so they are shown only when they mean what they say.
  const shareRoot = entry.isMountRoot && entry.mountType === 'shared';
  if (p.delete && !shareRoot) words.push('delete');
  if (p.rename && !shareRoot) words.push('rename');
  if (p.share) words.push('share');
  return words;
}

function isReceived(entry: FileEntry, userId: string): boolean {
  return entry.permissions.shared || entry.mountType === 'shared' || (entry.ownerId !== null && entry.ownerId !== userId);
}

export function viewOf(entry: FileEntry, context: Pick<ToolContext, 'userId' | 'policy'>): EntryView {
  const received = isReceived(entry, context.userId);
  // A folder on the way to an allowed one counts everything inside it, the hidden folders included.
  // So does a folder above a file or folder hidden by tag.
  const hidesSomething =
    (context.policy.folderAllowlist.length > 0 && relationTo(entry.path, context.policy.folderAllowlist) === 'ancestor') ||
    (entry.type === 'folder' && knownHiddenFiles(context)?.hidesBelow?.(entry.path) === true);
  return withoutMissing({
    path: entry.path,
    name: entry.name,
    type: entry.type,
    size: hidesSomething ? null : entry.size,
    modified: entry.lastModified,
    contentType: entry.contentType,
    etag: entry.etag,
    fileId: entry.fileId,
    permissions: permissionWords(entry),
    sharedWithUser: received,
    sharedByUser: !received && entry.shareTypes.length > 0,
    owner:
      entry.ownerId && entry.ownerId !== context.userId ? withoutMissing({ id: entry.ownerId, displayName: entry.ownerDisplayName }) : null,
    favorite: entry.favorite,
  });
}

/** Nextcloud's permalink of a file or folder (it opens the Files app there), or the folder view without an id. */
export function webUrlOf(context: Pick<ToolContext, 'webRoot'>, entry: { path: string; fileId?: number | null }): string {
  const root = context.webRoot.replace(/\/+$/, '');
  if (entry.fileId !== null && entry.fileId !== undefined) return `${root}/index.php/f/${entry.fileId}`;
  return `${root}/index.php/apps/files/?dir=${encodeURIComponent(parentOf(entry.path))}`;
}

export function parentOf(path: string): string {
  const normal = normalizePath(path);
  const cut = normal.lastIndexOf('/');
  return cut <= 0 ? '/' : normal.slice(0, cut);
}

export function baseName(path: string): string {
  const normal = normalizePath(path);
  return normal.slice(normal.lastIndexOf('/') + 1);
}

/**
 * A folder the user received read-only that holds `path` (or would hold it, for something not yet created):
 * its root and its owner. Looked up only after Nextcloud refused a change, so the common path costs nothing.
 */
async function readOnlyShareAround(
  files: ConfinedFiles,
  path: string,
  userId: string,
): Promise<{ root: string; owner: string | null } | null> {
  let current = normalizePath(path);
  let node: FileEntry | undefined;
  // The nearest existing node at or above the path.
  for (let depth = 0; depth < 64 && node === undefined; depth++) {
    try {
      node = await files.stat(current);
    } catch {
      if (current === '/') return null;
      current = parentOf(current);
    }
  }
  if (!node || !isReceived(node, userId)) return null;
  const writable = node.type === 'file' ? node.permissions.write : node.permissions.create;
  if (writable) return null;
  // Up to the share's mount point, so the message names the shared folder, not a file deep inside it.
  let root = node;
  while (!root.isMountRoot && root.path !== '/') {
    let parent: FileEntry;
    try {
      parent = await files.stat(parentOf(root.path));
    } catch {
      break;
    }
    if (!isReceived(parent, userId)) break;
    root = parent;
  }
  return { root: root.path, owner: root.ownerDisplayName ?? root.ownerId };
}

/**
 * Rewords Nextcloud's 403 on a change into what the user can act on ("bob has read-only access to
 * /Shared/Plans, shared by Alice"), checking each path the change touches; anything else passes unchanged.
 */
export async function explainRefusal(
  error: unknown,
  files: ConfinedFiles,
  context: Pick<ToolContext, 'userId'>,
  paths: readonly string[],
  action: string,
): Promise<unknown> {
  if (!isNextcloudError(error, 'forbidden')) return error;
  for (const path of paths) {
    const share = await readOnlyShareAround(files, path, context.userId).catch(() => null);
    if (!share) continue;
    return reworded(
      error,
      `${context.userId} has read-only access to ${share.root}${share.owner ? ` (shared by ${share.owner})` : ''}, so ${action} is not possible. Ask the owner for edit rights, or work on a copy in ${context.userId}'s own files.`,
    );
  }
  return error;
}

/** Runs a change and rewords a refusal (see explainRefusal). */
export async function changing<T>(
  files: ConfinedFiles,
  context: ToolContext,
  paths: readonly string[],
  action: string,
  change: () => Promise<T>,
): Promise<T> {
  try {
    return await change();
  } catch (error) {
    throw await explainRefusal(error, files, context, paths, action);
  }
}

/** The new path of a move or copy: a target ending in "/" names the folder to put the item into. */
export function targetPath(from: string, to: string): string {
  return /[/\\]$/.test(to.trim()) ? `${to.trim()}${baseName(from)}` : to;
}
