// files_copy: COPY, server-side, so no bytes pass through the app whatever the size.
import { z } from 'zod';
import { defineTool } from '../tool.js';
import { WRITE_SCOPES, entrySchema, pathField } from './shared.js';
import { transferAs, transferPlan } from './transfer.js';

const input = z.object({
  from: pathField('The file or folder to copy'),
  to: pathField(
    'The path of the copy, including its name, e.g. /Documents/Notes (copy).txt. A path ending in / is the folder to copy it into, keeping its name',
  ),
  overwrite: z
    .boolean()
    .default(false)
    .describe('true replaces an item that already exists at that path; false (default) refuses instead.'),
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
  description:
    "Copies a file or folder (with everything inside) within the user's Nextcloud. It refuses to replace an existing item unless overwrite is true. Also the way to get an editable copy of something shared read-only.",
  scopes: WRITE_SCOPES,
  input,
  output,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  plan: (args, context) => transferPlan(context, 'copy', args),
  async run(args, context) {
    return { structured: await transferAs(context, 'copy', args) };
  },
});
