// files_write_text: creates or replaces a text file without ever clobbering a version the model has not seen.
// Replacing needs the etag of what was read (If-Match) or an explicit overwrite; without either the write is
// create-only (If-None-Match: *), so the check and the write are one atomic step on Nextcloud's side.
import { z } from 'zod';
import { isNextcloudError } from '../../../lib/index.js';
import { withoutMissing } from '../absent.js';
import { headerEtag } from '../etag.js';
import { ETAG_TEXT, WELL_FORMED, defineTool } from '../tool.js';
import { ToolError } from '../tool.js';
import { entryInWords, existingEntry, keepsVersions, replacedContentNote } from './plans.js';
import { WRITE_SCOPES, changing, checkedTarget, parentOf, pathField, webUrlOf } from './shared.js';

/** Larger content is better uploaded by the person than sent through a model's context. */
export const MAX_WRITE_BYTES = 5 * 1024 * 1024;

const input = z.object({
  path: pathField('The file to create or replace, including its name and extension, e.g. /Documents/Minutes.md'),
  content: z
    .string()
    .refine(...WELL_FORMED)
    .describe(
      'The complete new text of the file (UTF-8). It replaces everything in the file; to change part of a file, read it, edit, and write all of it back.',
    ),
  etag: z
    .string()
    .min(1)
    .max(200)
    .regex(ETAG_TEXT, 'is not an etag as files_read, files_stat or files_list return it (visible ASCII only)')
    .optional()
    .describe(
      "To replace an existing file: its etag from files_read, files_stat or files_list. The write is refused if the file changed since then, so nobody else's edits are lost.",
    ),
  overwrite: z
    .boolean()
    .default(false)
    .describe(
      'true replaces an existing file whatever its current version (no etag check). Only when the person clearly wants it replaced regardless; prefer etag.',
    ),
  createOnly: z
    .boolean()
    .default(false)
    .describe('true: only create a new file, fail if one exists. This is also what happens when neither etag nor overwrite is given.'),
});

const output = z.object({
  path: z.string(),
  created: z.boolean().describe('true: a new file; false: an existing file was replaced.'),
  size: z.number().describe('Bytes written.'),
  etag: z.string().optional().describe('The new version tag; pass it for the next change.'),
  fileId: z.number().optional(),
  webUrl: z.string().describe('Opens the file in the Nextcloud web interface.'),
  previousContent: z
    .string()
    .optional()
    .describe('When an existing file was replaced: whether its former content can still be restored, and how.'),
});

export const filesWriteText = defineTool({
  name: 'files_write_text',
  title: 'Write a text file',
  description:
    "Creates a text file (Markdown, plain text, CSV, JSON, code, ...) in the user's Nextcloud, or replaces one. Creating needs nothing more. Replacing an existing file needs its etag (from files_read or files_stat, so edits someone made since are not lost) or overwrite: true. The parent folder must exist (files_create_folder).",
  scopes: WRITE_SCOPES,
  input,
  output,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  async plan(args, context) {
    // A create-only write cannot replace anything: Nextcloud refuses it when the file exists.
    if (args.createOnly || (!args.etag && !args.overwrite)) return null;
    const { files, path } = checkedTarget(context, args.path, 'change');
    const entry = await existingEntry(files, path);
    if (!entry) return null;
    const size = Buffer.byteLength(args.content, 'utf8');
    return `Replaces the whole content of ${entryInWords(entry)} with ${size.toLocaleString('en')} bytes of new text. ${await replacedContentNote(context)}`;
  },
  async run(args, context) {
    if (args.createOnly && (args.etag || args.overwrite))
      throw new ToolError('invalid_input', 'createOnly cannot be combined with etag or overwrite: createOnly never replaces a file.');
    const bytes = Buffer.from(args.content, 'utf8');
    if (bytes.length > MAX_WRITE_BYTES)
      throw new ToolError(
        'too_large',
        `The content is ${bytes.length} bytes; at most ${MAX_WRITE_BYTES} can be written at once. Ask the person to upload large files in Nextcloud.`,
      );
    const { files, path } = checkedTarget(context, args.path, 'change');
    const etag = args.etag ? headerEtag(args.etag) : undefined;
    const conditional = etag ? { ifMatch: etag } : args.overwrite ? {} : { ifNoneMatch: true };
    let written;
    try {
      written = await changing(files, context, [path], `writing ${path}`, () =>
        files.write(path, bytes, { ...conditional, contentType: 'text/plain; charset=utf-8' }),
      );
    } catch (error) {
      if (isNextcloudError(error, 'conflict'))
        throw new ToolError(
          'conflict',
          `The folder ${parentOf(path)} does not exist (or is not a folder); create it with files_create_folder first (Nextcloud said: ${error.remoteMessage ?? error.message}).`,
        );
      if (!isNextcloudError(error, 'precondition_failed')) throw error;
      if (etag) {
        throw new ToolError(
          'conflict',
          `${path} changed since you read it (your etag ${etag} is no longer current), or it no longer exists. Read it again with files_read, apply your change to the current text, and write with the new etag.`,
        );
      }
      throw new ToolError(
        'conflict',
        args.createOnly
          ? `${path} already exists, and createOnly was set. Choose another name, or read it and pass its etag to replace it.`
          : `${path} already exists. To replace it, read it (files_read or files_stat) and pass its etag, so changes made since are not lost; or set overwrite: true if the person wants it replaced regardless.`,
      );
    }
    return {
      structured: withoutMissing({
        path,
        created: written.created,
        size: bytes.length,
        etag: written.etag,
        fileId: written.fileId,
        webUrl: webUrlOf(context, { path, fileId: written.fileId }),
        previousContent: written.created
          ? undefined
          : (await keepsVersions(context))
            ? 'Kept as a version of the file: files_list_versions lists it, files_restore_version brings it back.'
            : 'Not kept: file versions are not enabled in this Nextcloud.',
      }),
    };
  },
});
