// files_copy: COPY, server-side, so no bytes pass through the app whatever the size.
import { z } from 'zod';
import { defineTool } from '../tool.js';
import { WRITE_SCOPES, ensureWritable, entrySchema, filesOf, pathField, targetPath, viewOf, webUrlOf } from './shared.js';
import { transfer } from './transfer.js';

const input = z.object({
  from: pathField('The file or folder to copy'),
  to: pathField('The path of the copy, including its name, e.g. /Documents/Notes (copy).txt. A path ending in / is the folder to copy it into, keeping its name'),
  overwrite: z.boolean().default(false).describe('true replaces an item that already exists at that path; false (default) refuses instead.'),
});

const output = z.object({
  from: z.string(),
  to: z.string(),
  entry: entrySchema.describe('The new copy.'),
  webUrl: z.string(),
});

export const filesCopy = defineTool({
  name: 'files_copy',
  title: 'Copy',
  description: 'Copies a file or folder (with everything inside) within the user\'s Nextcloud. It refuses to replace an existing item unless overwrite is true. Also the way to get an editable copy of something shared read-only.',
  scopes: WRITE_SCOPES,
  input,
  output,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  async run(args, context) {
    ensureWritable(context);
    const files = filesOf(context);
    const from = files.check(args.from, 'look');
    const to = files.check(targetPath(from, args.to), 'change');
    context.audit(from);
    context.audit(to);
    await transfer(files, context, 'copy', from, to, args.overwrite, () => files.copy(from, to, { overwrite: args.overwrite }));
    const entry = await files.stat(to);
    return { structured: { from, to, entry: viewOf(entry, context), webUrl: webUrlOf(context, entry) } };
  },
});
