// files_move: MOVE, which also renames. It keeps the file id, shares and versions, unlike a copy and delete.
import { z } from 'zod';
import { defineTool } from '../tool.js';
import { WRITE_SCOPES, entrySchema, pathField } from './shared.js';
import { transferAs, transferPlan } from './transfer.js';

const input = z.object({
  from: pathField('The file or folder to move or rename'),
  to: pathField(
    'Its new path, including the name, e.g. /Archive/Notes.txt or /Documents/New name.txt. A path ending in / is the folder to move it into, keeping its name',
  ),
  overwrite: z
    .boolean()
    .default(false)
    .describe('true replaces an item that already exists at the new path; false (default) refuses instead.'),
});

const output = z.object({
  from: z.string(),
  to: z.string(),
  entry: entrySchema.describe('The item at its new place.'),
  webUrl: z.string(),
});

export const filesMove = defineTool({
  name: 'files_move',
  title: 'Move or rename',
  description:
    "Moves or renames a file or folder in the user's Nextcloud (a folder moves with everything inside). It refuses to replace an existing item unless overwrite is true. Links and shares of the item keep working.",
  scopes: WRITE_SCOPES,
  input,
  output,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  plan: (args, context) => transferPlan(context, 'move', args),
  async run(args, context) {
    return { structured: await transferAs(context, 'move', args) };
  },
});
