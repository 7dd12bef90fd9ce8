// What a file tool's call would destroy or replace, in words for the person who confirms it (tool.ts `plan`).
import type { FileEntry } from '../../../lib/index.js';
import { isNextcloudError } from '../../../lib/index.js';
import type { ToolContext } from '../tool.js';
import type { ConfinedFiles } from './confined.js';

/** The item at a path, or null when there is none (a write there creates, a move there replaces nothing). */
export async function existingEntry(files: Pick<ConfinedFiles, 'stat'>, path: string): Promise<FileEntry | null> {
  try {
    return await files.stat(path);
  } catch (error) {
    if (isNextcloudError(error, 'not_found')) return null;
    throw error;
  }
}

/** "the file /a.txt (1,204 bytes, changed 2026-12-01T10:00:00Z)" or "the folder /Plans and everything in it". */
export function entryInWords(entry: FileEntry): string {
  if (entry.type === 'folder') return `the folder ${entry.path} and everything in it`;
  const changed = entry.lastModified ? `, changed ${new Date(entry.lastModified).toISOString()}` : '';
  return `the file ${entry.path} (${entry.size.toLocaleString('en')} bytes${changed})`;
}

/** Whether Nextcloud keeps replaced content as a version: it does on every overwrite while versioning is on. */
export async function keepsVersions(context: ToolContext): Promise<boolean> {
  const { capabilities } = await context.user.capabilities();
  return (capabilities.files as { versioning?: unknown } | undefined)?.versioning === true;
}

/** Whether replaced content survives, said before the write. */
export async function replacedContentNote(context: ToolContext): Promise<string> {
  return (await keepsVersions(context))
    ? 'The current content is kept as a version of the file and can be restored (files_list_versions, files_restore_version).'
    : 'File versions are not enabled in this Nextcloud, so the current content cannot be restored afterwards.';
}
