// files_read: the text of a file, a window at a time. Only the requested bytes are fetched (an HTTP range), so a
// gigabyte file costs no more than the window; files that are not text are described and linked, never dumped.
import { z } from 'zod';
import type { FileEntry, ReadResult } from '../../../lib/index.js';
import { isNextcloudError } from '../../../lib/index.js';
import { isFolderRead } from '../../../lib/files.js';
import { relationTo } from '../../policy/folders.js';
import { withoutMissing } from '../absent.js';
import { formatBytes } from '../bytes.js';
import type { ExtraContent, ToolOutput } from '../tool.js';
import { READS_ONLY, ToolError, defineTool } from '../tool.js';
import { READ_SCOPES, baseName, checkedTarget, pathField, webUrlOf } from './shared.js';
import { expectationOf, readTextWindow } from './text.js';

export const DEFAULT_READ_BYTES = 100 * 1024;
export const MAX_READ_BYTES = 1024 * 1024;

const input = z.object({
  path: pathField('The file to read'),
  offset: z
    .number()
    .int()
    .min(0)
    .default(0)
    .describe(
      'Byte position to start at (default 0, the beginning). To continue a truncated read, pass the nextOffset of the previous answer.',
    ),
  length: z
    .number()
    .int()
    .min(1)
    .max(MAX_READ_BYTES)
    .default(DEFAULT_READ_BYTES)
    .describe(
      `How many bytes to read at most (default ${DEFAULT_READ_BYTES}, at most ${MAX_READ_BYTES}). Larger files come back truncated with a nextOffset to continue from.`,
    ),
});

const output = z.object({
  path: z.string(),
  name: z.string(),
  kind: z
    .enum(['text', 'binary'])
    .describe('text: the content is in `text`. binary: not text (PDF, image, archive, ...); see `description` and webUrl.'),
  contentType: z.string().optional(),
  size: z.number().optional().describe('Size of the whole file in bytes.'),
  modified: z.string().optional(),
  etag: z
    .string()
    .optional()
    .describe('Version tag of what was read; pass it to files_write_text as etag to replace exactly this version.'),
  webUrl: z.string().describe('Opens the file in the Nextcloud web interface.'),
  text: z.string().optional().describe('The content, decoded as UTF-8 (text files only).'),
  offset: z.number().optional().describe('Byte position the text starts at.'),
  bytesRead: z.number().optional().describe('How many bytes of the file the text covers.'),
  truncated: z.boolean().optional().describe('True when the file goes on after the text.'),
  nextOffset: z.number().optional().describe('Pass as offset to read on; absent at the end of the file.'),
  description: z.string().optional().describe('What a binary file is, in words.'),
  note: z.string().optional(),
});

const FRIENDLY: Array<[RegExp, string]> = [
  [/^application\/pdf/, 'a PDF document'],
  [/^image\//, 'an image'],
  [/^audio\//, 'an audio file'],
  [/^video\//, 'a video'],
  [/wordprocessingml|opendocument\.text|msword/, 'a word-processor document'],
  [/spreadsheetml|opendocument\.spreadsheet|ms-excel|msexcel/, 'a spreadsheet'],
  [/presentationml|opendocument\.presentation|ms-powerpoint|mspowerpoint/, 'a presentation'],
  [/zip|tar|gzip|bzip|xz|7z|rar|java-archive/, 'an archive'],
];

function friendlyKind(contentType: string | null): string {
  if (!contentType) return 'a file of unknown type';
  const base = contentType.split(';')[0]!.trim().toLowerCase();
  return FRIENDLY.find(([pattern]) => pattern.test(base))?.[1] ?? `a binary file (${base})`;
}

export const filesRead = defineTool({
  name: 'files_read',
  title: 'Read a file',
  description: `Reads a text file (notes, Markdown, CSV, code, JSON, ...) from the user's Nextcloud, up to ${DEFAULT_READ_BYTES / 1024} KB by default. Long files come back with truncated=true and a nextOffset: call again with that offset to read on, or pass offset and length for a specific byte range. Files that are not text (PDFs, images, office documents, archives) are described instead, with a link the person can open in Nextcloud. The answer includes the etag to pass to files_write_text when you change the file.`,
  scopes: READ_SCOPES,
  input,
  output,
  annotations: READS_ONLY,
  async run(args, context) {
    const { files, path } = checkedTarget(context, args.path, 'look');
    let file: Described | undefined;
    let answer: ReadResult | undefined;
    if (files.allowlist.length > 0 && relationTo(path, files.allowlist) !== 'inside') {
      // A folder on the way to an allowed one: no content of it may be read, and it is named as a folder, as ever.
      file = await files.stat(path);
    } else {
      try {
        // One GET: the window and one byte past it (which shows whether a character continues beyond the window),
        // with the file's size, type, etag and last change in the answer's headers.
        answer = await files.read(path, { range: { start: args.offset, end: args.offset + args.length }, signal: context.signal });
      } catch (error) {
        if (isFolderRead(error)) throw folderRefusal(path);
        // At or past the end (or an empty file a server refuses any range of): the file's details decide, as before.
        if (!isNextcloudError(error) || error.status !== 416) throw error;
        file = await files.stat(path);
      }
      if (answer) file = answer.size === null ? await statInstead(answer) : described(path, answer);
    }
    if (!file || file.type === 'folder') throw folderRefusal(path);
    try {
      return await readFile(file, answer);
    } finally {
      answer?.stream.destroy();
    }

    /** A file whose size the answer does not tell (no Content-Range or Content-Length): asked for instead. */
    async function statInstead(result: ReadResult): Promise<FileEntry> {
      result.stream.destroy();
      answer = undefined;
      return files.stat(path);
    }

    async function readFile(found: Described, result: ReadResult | undefined): Promise<ToolOutput<z.infer<typeof output>>> {
      const base = baseOf(found);
      const expected = expectationOf(found.contentType, found.name);
      if (expected === 'binary') return binary(found);
      if (found.size > 0 && args.offset >= found.size) {
        throw new ToolError('invalid_input', `offset ${args.offset} is at or past the end of ${path}, which has ${found.size} bytes.`);
      }
      const { window, etag } = await readTextWindow(
        files,
        path,
        { offset: args.offset, length: args.length, size: found.size, expected },
        context,
        result,
      );
      if (!window) return binary(found);
      return {
        structured: withoutMissing({
          ...base,
          etag: etag ?? base.etag,
          kind: 'text' as const,
          text: window.text,
          offset: window.offset,
          bytesRead: window.bytesRead,
          truncated: window.truncated,
          nextOffset: window.nextOffset,
          ...(window.notes.length > 0 ? { note: window.notes.join(' ') } : {}),
        }),
      };
    }

    function baseOf(found: Described) {
      return withoutMissing({
        path: found.path,
        name: found.name,
        contentType: found.contentType,
        size: found.size,
        modified: found.lastModified,
        etag: found.etag,
        webUrl: webUrlOf(context, found),
      });
    }

    /** A file that is not text: described and linked. The link wants the file id, which a download does not name. */
    async function binary(found: Described) {
      answer?.stream.destroy();
      const file = found.fileId === null && found.type === undefined ? await files.stat(path) : found;
      const fields = baseOf(file);
      const webUrl = fields.webUrl;
      const when = file.lastModified ? `, last changed ${file.lastModified}` : '';
      const description = `${file.name} is ${friendlyKind(file.contentType)} (${formatBytes(file.size)}${when}). Its content is not text, so it is not shown here; the person can open it in Nextcloud at ${webUrl}.`;
      const link: ExtraContent = {
        type: 'resource_link',
        uri: webUrl,
        name: file.name,
        title: `${file.name} in Nextcloud`,
        description,
        size: file.size,
        ...(file.contentType ? { mimeType: file.contentType } : {}),
      };
      return { structured: { ...fields, kind: 'binary' as const, description }, extra: [link] };
    }
  },
});

/** What files_read says about a file: from a stat, or from the headers of the download itself. */
type Described = Pick<FileEntry, 'path' | 'name' | 'fileId' | 'size' | 'contentType' | 'lastModified' | 'etag'> & {
  type?: FileEntry['type'];
};

/** The file as the answer to its download describes it (size known). */
function described(path: string, result: ReadResult): Described {
  return {
    path,
    name: baseName(path),
    fileId: result.fileId,
    size: result.size!,
    // Nextcloud stores bare MIME types; a download's Content-Type may carry a charset PHP added.
    contentType: result.contentType?.split(';')[0]!.trim() || null,
    lastModified: result.lastModified,
    etag: result.etag,
  };
}

function folderRefusal(path: string): ToolError {
  return new ToolError('invalid_input', `${path} is a folder; list it with files_list instead of reading it.`);
}
