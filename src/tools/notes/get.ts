// notes_get: one note with its content.
import { z } from 'zod';
import { READS_ONLY, defineTool } from '../tool.js';
import { NoteScope, READ_SCOPES, idInput, noteSchema, noteView, visibleNote } from './common.js';

export const notesGet = defineTool({
  name: 'notes_get',
  title: 'Read a note',
  description: 'Reads one note of the Nextcloud Notes app with its content (Markdown text) and its etag, by id.',
  scopes: READ_SCOPES,
  app: 'notes',
  input: z.object({ id: idInput }),
  output: noteSchema,
  annotations: READS_ONLY,
  async run(input, context) {
    const note = await visibleNote(context, await NoteScope.of(context), input.id);
    context.audit(note.internalPath);
    return { structured: noteView(note, context, true) };
  },
});
