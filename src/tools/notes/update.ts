// notes_update: changes a note's content, title (renames the file), category (moves it) or star. It always writes
// against the etag of the version it checked, so a change made meanwhile is never overwritten unseen.
import { z } from 'zod';
import type { NoteWithContent } from '../../../lib/notes.js';
import { sameEtag } from '../etag.js';
import type { ToolContext } from '../tool.js';
import { ToolError, WELL_FORMED, defineTool } from '../tool.js';
import {
  NoteScope,
  WRITE_SCOPES,
  assertWritablePath,
  categoryInput,
  etagInput,
  idInput,
  noteSchema,
  noteView,
  plannedPath,
  staleNote,
  suffixOf,
  updateNote,
  visibleNote,
} from './common.js';

const input = z.object({
  id: idInput,
  etag: etagInput.optional(),
  content: z
    .string()
    .max(1_000_000)
    .refine(...WELL_FORMED)
    .optional()
    .describe('The new, complete text of the note; it replaces the whole content.'),
  title: z
    .string()
    .max(100)
    .refine(...WELL_FORMED)
    .optional()
    .describe('A new title (renames the note).'),
  category: categoryInput.optional().describe('A new category (moves the note); "" for none.'),
  favorite: z.boolean().optional().describe('Star or unstar the note.'),
});
type Input = z.infer<typeof input>;

/** The note as it is, checked: visible here, still the version the caller read, and its target path allowed. */
async function checkedNote(args: Input, context: ToolContext): Promise<NoteWithContent> {
  if (args.content === undefined && args.title === undefined && args.category === undefined && args.favorite === undefined)
    throw new ToolError('invalid_input', 'Nothing to change: give content, title, category or favorite.');
  const scope = await NoteScope.of(context);
  const note = await visibleNote(context, scope, args.id);
  if (args.etag !== undefined && !sameEtag(args.etag, note.etag)) throw staleNote(note.id);
  if (note.readonly && (args.content !== undefined || args.title !== undefined || args.category !== undefined))
    throw new ToolError(
      'not_allowed',
      `Note ${note.id} ("${note.title}") is read-only for ${context.userId}; only its star can be changed.`,
    );
  if (args.title !== undefined || args.category !== undefined) {
    const target = await plannedPath(context, args.category ?? note.category, args.title ?? note.title, suffixOf(note.internalPath));
    assertWritablePath(scope, target);
  }
  return note;
}

export const notesUpdate = defineTool({
  name: 'notes_update',
  title: 'Change a note',
  description:
    'Changes a note of the Nextcloud Notes app: content (replaces the whole text), title (renames), category (moves) or favorite. ' +
    'Give the etag from notes_get so that a note changed in the meantime is not overwritten; without it the version read just before writing is used. ' +
    'To add to a note, read it with notes_get and send the complete new content.',
  scopes: WRITE_SCOPES,
  app: 'notes',
  input,
  output: noteSchema,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  async plan(args, context) {
    const note = await checkedNote(args, context);
    if (args.content === undefined || args.content === note.content || note.content === '') return null;
    const lines = note.content.split('\n').length;
    return `Replaces the whole content of the note "${note.title}" (${note.internalPath}, ${note.content.length} characters in ${lines} line${lines === 1 ? '' : 's'}) with the new text (${args.content.length} characters). The previous text stays only in the file's version history.`;
  },
  async run(args, context) {
    const note = await checkedNote(args, context);
    context.audit(note.internalPath);
    const { etag: _etag, id: _id, ...fields } = args;
    const updated = await updateNote(context, note.id, fields, args.etag ?? note.etag);
    // A rename or move lands where Notes puts it, which may differ from the path checked before: put back what
    // landed outside the allowed folders.
    if (!(await NoteScope.of(context)).allows(updated)) {
      const restored = args.content === undefined ? {} : { content: note.content };
      await updateNote(context, updated.id, { title: note.title, category: note.category, ...restored }, updated.etag);
      throw new ToolError(
        'not_allowed',
        `Refused: Notes moved the note to ${updated.internalPath}, which is outside the folders available here; it was put back as it was.`,
      );
    }
    return { structured: noteView(updated, context, true) };
  },
});
