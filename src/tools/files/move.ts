// files_move: MOVE, which also renames. It keeps the file id, shares and versions, unlike a copy and delete.
import { z } from 'zod';
import { defineTool } from '../tool.js';
import { WRITE_SCOPES, ensureWritable, filesOf, pathField, targetPath, viewOf, webUrlOf, entrySchema } from './shared.js';
import { transfer } from './transfer.js';

const input = z.object({
  from: pathField('The file or folder to move or rename'),
  to: pathField('Its new path, including the name, e.g. /Archive/Notes.txt or /Documents/New name.txt. A path ending in / is the folder to move it into, keeping its name'),
  overwrite: z.boolean().default(false).describe('true replaces an item that already exists at the new path; false (default) refuses instead.'),
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
  description: 'Moves or renames a file or folder in the user\'s Nextcloud (a folder moves with everything inside). It refuses to replace an existing item unless overwrite is true. Links and shares of the item keep working.',
  scopes: WRITE_SCOPES,
  input,
  output,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  async run(args, context) {
    ensureWritable(context);
    const files = filesOf(context);
    const from = files.check(args.from, 'change');
    const to = files.check(targetPath(from, args.to), 'change');
    context.audit(from);
    context.audit(to);
    await transfer(files, context, 'move', from, to, args.overwrite, () => files.move(from, to, { overwrite: args.overwrite }));
    const entry = await files.stat(to);
    return { structured: { from, to, entry: viewOf(entry, context), webUrl: webUrlOf(context, entry) } };
  },
});
