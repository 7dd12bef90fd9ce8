// notes_delete: the note file goes to the trash bin, from where the person can restore it.
import { z } from 'zod';
import { isNextcloudError } from '../../../lib/index.js';
import { sameEtag } from '../etag.js';
import type { ToolContext } from '../tool.js';
import { ToolError, defineTool } from '../tool.js';
import { NoteScope, WRITE_SCOPES, etagInput, idInput, missingNote, staleNote, visibleNote } from './common.js';

const input = z.object({ id: idInput, etag: etagInput.optional() });

async function checkedNote(args: z.infer<typeof input>, context: ToolContext) {
  const note = await visibleNote(context, await NoteScope.of(context), args.id);
  if (args.etag !== undefined && !sameEtag(args.etag, note.etag)) throw staleNote(note.id);
  if (note.readonly) throw new ToolError('not_allowed', `Note ${note.id} ("${note.title}") is read-only for ${context.userId}.`);
  return note;
}

export const notesDelete = defineTool({
  name: 'notes_delete',
  title: 'Delete a note (to the trash bin)',
  description:
    'Deletes a note of the Nextcloud Notes app by moving its file to the trash bin, from where the person can restore it in the Files app (Deleted files). ' +
    'Give the etag from notes_get to delete only the version you read. Ask the person before deleting a note they did not clearly ask to delete.',
  scopes: WRITE_SCOPES,
  app: 'notes',
  input,
  output: z.object({
    deleted: z.literal(true),
    id: z.number().int(),
    title: z.string(),
    path: z.string(),
    message: z.string(),
  }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  async plan(args, context) {
    const note = await checkedNote(args, context);
    return `Deletes the note "${note.title}"${note.category ? ` in category "${note.category}"` : ''} (${note.internalPath}). The file goes to the trash bin, from where it can be restored.`;
  },
  async run(args, context) {
    const note = await checkedNote(args, context);
    context.audit(note.internalPath);
    // The version checked above is the one deleted: Notes' DELETE takes no etag, so a change in between is the
    // only window, and it lands in the trash bin with the note.
    await context.user.notes.delete(note.id).catch((error: unknown) => {
      if (isNextcloudError(error, 'not_found')) throw missingNote(note.id, context.userId);
      throw error;
    });
    return {
      structured: {
        deleted: true as const,
        id: note.id,
        title: note.title,
        path: note.internalPath,
        message: `The note "${note.title}" was moved to the trash bin; it can be restored from "Deleted files" in the Nextcloud Files app.`,
      },
    };
  },
});
