// notes_list: the user's notes in chunks, as the Notes app pages them (oldest change first, a cursor between chunks).
import { z } from 'zod';
import { withoutMissing } from '../absent.js';
import { READS_ONLY, WELL_FORMED, defineTool } from '../tool.js';
import { NoteScope, READ_SCOPES, categoryInput, noteSchema, noteView } from './common.js';

export const notesList = defineTool({
  name: 'notes_list',
  title: 'List notes',
  description:
    "Lists the user's notes from the Nextcloud Notes app (title, category, id, etag; no content: use notes_get for that). " +
    'Give category to list one category only (exact match, e.g. "Work/Ideas"; "" for notes without a category). ' +
    'For more notes call again with cursor = nextCursor. Use notes_search to find notes by words.',
  scopes: READ_SCOPES,
  app: 'notes',
  input: z.object({
    category: categoryInput.optional(),
    limit: z.number().int().min(1).max(200).default(50).describe('How many notes per page at most (1-200, default 50).'),
    cursor: z
      .string()
      .max(200)
      .refine(...WELL_FORMED)
      .optional()
      .describe('The nextCursor of the previous call, unchanged; leave out for the first page.'),
  }),
  output: z.object({
    notes: z.array(noteSchema),
    nextCursor: z.string().optional().describe('Pass as cursor for the next page; absent on the last page.'),
    remaining: z.number().int().optional().describe('How many notes the following pages still hold (before filtering).'),
  }),
  annotations: READS_ONLY,
  async run(input, context) {
    const scope = await NoteScope.of(context);
    if (!(await scope.reachesNotesFolder(context))) return { structured: { notes: [] } };
    const page = await context.user.notes.list({ category: input.category, chunkSize: input.limit, cursor: input.cursor, content: false });
    const notes = page.notes.filter((note) => scope.allows(note)).map((note) => noteView(note, context, false));
    return {
      structured: withoutMissing({ notes, nextCursor: page.cursor, remaining: page.cursor ? page.pending : undefined }),
    };
  },
});
