// notes_create: a new note. Notes never overwrites here: a title that is taken gets " (2)".
import { z } from 'zod';
import { ToolError, WELL_FORMED, defineTool } from '../tool.js';
import { NoteScope, WRITE_SCOPES, assertWritablePath, categoryInput, noteSchema, noteView, plannedPath } from './common.js';

export const notesCreate = defineTool({
  name: 'notes_create',
  title: 'Create a note',
  description:
    'Creates a note in the Nextcloud Notes app. The title becomes the file name: characters a file name cannot have are removed, ' +
    'and if a note with that title exists in the category, " (2)" is appended; the answer has the final title and the id.',
  scopes: WRITE_SCOPES,
  app: 'notes',
  input: z.object({
    title: z
      .string()
      .max(100)
      .refine(...WELL_FORMED)
      .describe('Title of the note (one line, at most 100 characters).'),
    content: z
      .string()
      .max(1_000_000)
      .refine(...WELL_FORMED)
      .default('')
      .describe('The note text, usually Markdown.'),
    category: categoryInput.default(''),
    favorite: z.boolean().default(false).describe('Star the note.'),
  }),
  output: noteSchema,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async run(input, context) {
    const scope = await NoteScope.of(context);
    const path = await plannedPath(context, input.category, input.title);
    assertWritablePath(scope, path);
    context.audit(path);
    const note = await context.user.notes.create(input);
    // Notes names the file itself (it may drop characters, or the notes folder may have moved meanwhile): where it
    // really landed is what must be allowed. A note stored elsewhere goes straight to the trash bin.
    if (!scope.allows(note)) {
      await context.user.notes.delete(note.id);
      throw new ToolError(
        'not_allowed',
        `Refused: Notes stored the note at ${note.internalPath}, which is outside the folders available here; it was moved to the trash bin.`,
      );
    }
    return { structured: noteView(note, context, true) };
  },
});
