// notes_search: words in the title, category or content of the user's notes. It filters the Notes list rather than
// asking the unified search provider "notes": that provider answers with titles and links only, so every hit
// would need a second request for its path before the allowlist and hidden-tag checks, while one list request
// carries path and content for all notes. The matching is the provider's: every whitespace-separated term must
// occur (case-insensitive) in title, category or content; newest first.
import { z } from 'zod';
import { READS_ONLY, WELL_FORMED, defineTool } from '../tool.js';
import { NoteScope, READ_SCOPES, noteSchema, noteView } from './common.js';
import type { Note } from '../../../lib/notes.js';

const EXCERPT_CHARS = 160;

export const notesSearch = defineTool({
  name: 'notes_search',
  title: 'Search notes',
  description:
    "Finds the user's notes (Nextcloud Notes app) whose title, category or content contains every given word (case-insensitive), newest first. " +
    'Each result has an excerpt around the first match; use notes_get with the id for the whole note.',
  scopes: READ_SCOPES,
  app: 'notes',
  input: z.object({
    query: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .refine(...WELL_FORMED)
      .describe('Words to look for, e.g. "croquet rules".'),
    limit: z.number().int().min(1).max(50).default(10).describe('How many notes at most (1-50, default 10).'),
  }),
  output: z.object({
    notes: z.array(noteSchema.omit({ content: true }).extend({ excerpt: z.string().describe('Content near the first match.') })),
    more: z.boolean().describe('More notes matched than limit.'),
  }),
  annotations: READS_ONLY,
  async run(input, context) {
    const scope = await NoteScope.of(context);
    if (!(await scope.reachesNotesFolder(context))) return { structured: { notes: [], more: false } };
    const terms = input.query.toLowerCase().split(/\s+/);
    const { notes } = await context.user.notes.list();
    const hits = notes
      .filter((note) => scope.allows(note))
      .filter((note) => terms.every((term) => haystack(note).includes(term)))
      .sort((a, b) => b.modified - a.modified || b.id - a.id);
    return {
      structured: {
        notes: hits.slice(0, input.limit).map((note) => {
          const { content: _content, ...view } = noteView(note, context, false);
          return { ...view, excerpt: excerpt(note.content ?? '', terms) };
        }),
        more: hits.length > input.limit,
      },
    };
  },
});

function haystack(note: Note): string {
  return `${note.title}\n${note.category}\n${note.content ?? ''}`.toLowerCase();
}

/** A piece of the content around the first term found in it, on one line. */
function excerpt(content: string, terms: string[]): string {
  const lower = content.toLowerCase();
  const at = Math.min(...terms.map((term) => lower.indexOf(term)).filter((index) => index >= 0), Infinity);
  let start = at === Infinity ? 0 : Math.max(0, at - 40);
  // Never begin in the middle of a character outside the BMP (an emoji), which would leave half of it.
  if (start > 0 && /[\uDC00-\uDFFF]/.test(content[start]!)) start -= 1;
  const piece = [...content.slice(start)].slice(0, EXCERPT_CHARS).join('');
  return `${start > 0 ? '…' : ''}${piece.replace(/\s+/g, ' ').trim()}${piece.length < content.length - start ? '…' : ''}`;
}
