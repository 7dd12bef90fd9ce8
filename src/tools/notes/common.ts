// What the notes tools share. Notes are files, and the Notes API reaches every file below the user's notes folder
// (shared folders mounted there included, and the folder itself can be moved by the user), so the admin's folder
// allowlist and hidden-by-tag rule are applied here to each note's path: a note outside them does not exist for
// reading and is refused for writing (more-apps.md §3.5).
import { z } from 'zod';
import type { Note, NoteFields, NoteWithContent } from '../../../lib/notes.js';
import { NoteConflictError, NotesUnavailableError } from '../../../lib/notes.js';
import { isNextcloudError } from '../../../lib/index.js';
import { confinePath } from '../../policy/folders.js';
import { withoutMissing } from '../absent.js';
import type { HiddenFiles } from '../files/hidden.js';
import { hiddenFiles } from '../files/hidden.js';
import type { ToolContext } from '../tool.js';
import { ToolError, WELL_FORMED, etagField } from '../tool.js';

export const READ_SCOPES = { allOf: ['notes.read'] } as const;
export const WRITE_SCOPES = { allOf: ['notes.write'] } as const;

export const idInput = z.number().int().min(1).describe('The note id (from notes_list or notes_search).');
export const etagInput = etagField('the notes tools').describe(
  'The etag the note had when you read it; if the note changed since, nothing is changed.',
);
export const categoryInput = z
  .string()
  .max(1000)
  .refine(...WELL_FORMED)
  .describe('Category: a folder path below the notes folder, "/"-separated (e.g. "Work/Ideas"); "" for none.');

export const noteSchema = z.object({
  id: z.number().int(),
  title: z.string(),
  category: z.string().describe('"" when the note is in no category.'),
  path: z.string().describe("The note file in the user's files, e.g. /Notes/Work/Ideas.md."),
  modified: z.string().describe('Last change, ISO 8601 UTC.'),
  favorite: z.boolean(),
  readonly: z.boolean().describe('True when the user may not change the note (e.g. shared with them read-only).'),
  etag: z.string().describe('Pass to notes_update or notes_delete to change only the version you read.'),
  content: z.string().optional(),
  url: z.string().describe('Opens the note in the Nextcloud Notes app.'),
});
export type NoteView = z.infer<typeof noteSchema>;

export function noteView(note: Note, context: ToolContext, withContent: boolean): NoteView {
  return withoutMissing({
    id: note.id,
    title: note.title,
    category: note.category,
    path: note.internalPath,
    modified: new Date(note.modified * 1000).toISOString(),
    favorite: note.favorite,
    readonly: note.readonly,
    etag: note.etag,
    content: withContent ? note.content : undefined,
    url: `${context.webRoot}/index.php/apps/notes/note/${note.id}`,
  });
}

/** Which note paths this call may touch: inside the allowlist and not hidden by tag. */
export class NoteScope {
  private constructor(
    private readonly allowlist: readonly string[],
    private readonly hidden: HiddenFiles,
  ) {}

  static async of(context: ToolContext): Promise<NoteScope> {
    return new NoteScope(context.policy.folderAllowlist, await hiddenFiles(context));
  }

  /** Whether a path in the user's files ("/Notes/x.md") may be reached. */
  allowsPath(path: string): boolean {
    const confined = confinePath(path, this.allowlist);
    return confined.ok && confined.relation === 'inside' && !this.hidden.hidesPath(confined.path);
  }

  allows(note: Pick<Note, 'id' | 'internalPath'>): boolean {
    return this.allowsPath(note.internalPath) && !this.hidden.hidesFileId(note.id);
  }

  /**
   * Whether any note could be reached here. Listing notes creates the notes folder when it is missing (a write, more-apps
   * §3.4), so a notes folder wholly outside the allowed folders, or hidden, is not listed at all.
   */
  async reachesNotesFolder(context: ToolContext): Promise<boolean> {
    if (this.allowlist.length === 0 && context.policy.hiddenTags.length === 0) return true;
    const folder = `/${(await context.user.notes.settings()).notesPath}`;
    const confined = confinePath(folder, this.allowlist);
    return confined.ok && !this.hidden.hidesPath(confined.path);
  }
}

export const missingNote = (id: number, userId: string) =>
  new ToolError(
    'not_found',
    `note ${id} does not exist in ${userId}'s notes (or is not available here); notes_list shows the notes there are.`,
  );

/** The note, when it exists and this call may see it; otherwise "not found", whichever the reason. */
export async function visibleNote(context: ToolContext, scope: NoteScope, id: number): Promise<NoteWithContent> {
  let note: NoteWithContent;
  try {
    note = await context.user.notes.get(id);
  } catch (error) {
    if (isNextcloudError(error, 'not_found') && !(error instanceof NotesUnavailableError)) throw missingNote(id, context.userId);
    throw error;
  }
  if (!scope.allows(note)) throw missingNote(id, context.userId);
  return note;
}

/** Characters Notes removes from a title or folder name, as it will name the file (NoteUtil::sanitisePath). */
function safeName(name: string): string {
  return name.replace(/[*|/\\:"<>?]/g, '').replace(/^[. ]+/, '');
}

/**
 * Where Notes will put a note with this category and title: the path a write must be allowed to reach before it
 * is sent. A clash only appends " (2)" to the same name in the same folder.
 */
export async function plannedPath(context: ToolContext, category: string, title: string, suffix?: string): Promise<string> {
  const settings = await context.user.notes.settings();
  const folders = category.split('/').map((segment) => (segment === '..' ? segment : safeName(segment).trim()));
  const name =
    safeName(title)
      .split(/\r\n|\r|\n/)[0]!
      .trim() || 'New note';
  return `/${[settings.notesPath, ...folders, name + (suffix ?? settings.fileSuffix)].filter((part) => part !== '').join('/')}`;
}

/** Refuses a write whose note file would land outside what this call may reach. */
export function assertWritablePath(scope: NoteScope, path: string): void {
  if (!scope.allowsPath(path))
    throw new ToolError('not_allowed', `Refused: the note would be stored at ${path}, which is outside the folders available here.`);
}

export const staleNote = (id: number) =>
  new ToolError('conflict', `note ${id} changed since you read it; read it again with notes_get and retry with its new etag.`);

/** The update, with a stale etag reported as a conflict the model can act on. */
export async function updateNote(context: ToolContext, id: number, fields: NoteFields, etag: string): Promise<NoteWithContent> {
  try {
    return await context.user.notes.update(id, fields, { etag });
  } catch (error) {
    if (error instanceof NoteConflictError) throw staleNote(id);
    throw error;
  }
}

/** The file suffix of a note's path (".md"), kept when Notes renames the note. */
export function suffixOf(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot) : '';
}
