// files_search: Nextcloud's file search (WebDAV SEARCH) over the user's files and the shares they received.
import { z } from 'zod';
import { withoutMissing } from '../absent.js';
import { READS_ONLY, WELL_FORMED, defineTool } from '../tool.js';
import { ToolError } from '../tool.js';
import { READ_SCOPES, checkedTarget, entrySchema, limitField, offsetField, viewOf } from './shared.js';

const date = (what: string) =>
  z
    .string()
    .refine((value) => !Number.isNaN(Date.parse(value)), 'must be a date like 2026-01-31 or 2026-01-31T12:00:00Z')
    .optional()
    .describe(`${what}, as an ISO 8601 date or date-time, e.g. 2026-01-31 or 2026-01-31T12:00:00Z (UTC unless an offset is given).`);

const input = z.object({
  nameContains: z
    .string()
    .min(1)
    .max(255)
    .refine(...WELL_FORMED)
    .optional()
    .describe(
      'Part of the file or folder name, case-insensitive, e.g. "report" finds "Annual Report 2026.pdf". Not a full-text search of contents.',
    ),
  type: z.enum(['file', 'folder']).optional().describe('Only files, or only folders (default: both).'),
  mimeType: z
    .string()
    .regex(
      /^[a-z0-9][a-z0-9!#$&^_.+-]*(\/([a-z0-9][a-z0-9!#$&^_.+-]*|\*)?)?$/i,
      'must be a MIME type like application/pdf or a family like image',
    )
    .optional()
    .describe(
      'A MIME type (application/pdf, text/markdown) or a whole family: image, video, audio, text (also written image/ or image/*).',
    ),
  modifiedAfter: date('Only items changed after this moment'),
  modifiedBefore: date('Only items changed before this moment'),
  under: z
    .string()
    .max(4096)
    .refine(...WELL_FORMED)
    .default('/')
    .describe("Search only inside this folder and its subfolders (default: all of the user's files, / )."),
  favorite: z.boolean().optional().describe('true: only items the user marked as favourite.'),
  sortBy: z.enum(['name', 'modified', 'size']).default('modified').describe('Sort key: modified (default), name or size.'),
  order: z.enum(['asc', 'desc']).optional().describe('asc or desc; default desc (newest, largest first) except for name (A-Z).'),
  limit: limitField(25, 100),
  offset: offsetField,
});

const output = z.object({
  entries: z.array(entrySchema),
  offset: z.number(),
  nextOffset: z.number().optional().describe('Pass as offset for more results; absent when there are no more.'),
});

export const filesSearch = defineTool({
  name: 'files_search',
  title: 'Search files',
  description:
    "Finds files and folders anywhere in the user's Nextcloud (their own and those shared with them) by part of the name, type, MIME type or family, modification date, favourite mark, optionally only below one folder. Matches names and metadata, not the text inside files. Give at least one criterion; results are paged (newest first by default).",
  scopes: READ_SCOPES,
  input,
  output,
  annotations: READS_ONLY,
  async run(args, context) {
    const { files, path: under } = checkedTarget(context, args.under, 'look');
    const after = args.modifiedAfter ? new Date(args.modifiedAfter) : undefined;
    const before = args.modifiedBefore ? new Date(args.modifiedBefore) : undefined;
    if (after && before && after >= before) throw new ToolError('invalid_input', 'modifiedAfter must be earlier than modifiedBefore.');
    const mimeType = args.mimeType && !args.mimeType.includes('/') ? `${args.mimeType}/` : args.mimeType;
    // One more than asked shows whether another page exists without counting every match.
    const found = await files.search({
      nameContains: args.nameContains,
      type: args.type,
      mimeType: mimeType?.toLowerCase(),
      modifiedAfter: after,
      modifiedBefore: before,
      under,
      favorite: args.favorite,
      orderBy: args.sortBy,
      descending: args.order === undefined ? undefined : args.order === 'desc',
      limit: args.limit + 1,
      offset: args.offset,
    });
    const page = found.slice(0, args.limit).map((entry) => viewOf(entry, context));
    return {
      structured: withoutMissing({
        entries: page,
        offset: args.offset,
        nextOffset: found.length > args.limit ? args.offset + args.limit : null,
      }),
    };
  },
});
