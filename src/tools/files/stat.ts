// files_stat: one item's details, including the etag a later files_write_text needs.
import { z } from 'zod';
import { READS_ONLY, defineTool } from '../tool.js';
import { READ_SCOPES, checkedTarget, entrySchema, pathField, viewOf, webUrlOf } from './shared.js';

const input = z.object({
  path: pathField('The file or folder to describe'),
});

const output = entrySchema.extend({
  webUrl: z
    .string()
    .describe('Opens the item in the Nextcloud web interface; give it to the person when they should look at it themselves.'),
});

export const filesStat = defineTool({
  name: 'files_stat',
  title: 'File or folder details',
  description:
    'Shows the details of one file or folder: type, size, last change, MIME type, permissions, sharing, and its etag (the version tag to pass to files_write_text so you only replace the version you know). Cheaper than files_read when you need no content.',
  scopes: READ_SCOPES,
  input,
  output,
  annotations: READS_ONLY,
  async run(args, context) {
    const { files, path } = checkedTarget(context, args.path, 'look');
    const entry = await files.stat(path);
    return { structured: { ...viewOf(entry, context), webUrl: webUrlOf(context, entry) } };
  },
});
