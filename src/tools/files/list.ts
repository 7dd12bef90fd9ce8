// files_list: one folder, paged. Nextcloud answers a folder listing whole (PROPFIND Depth 1), so sorting and
// paging happen here, after the allowlist has filtered what may be shown. The first page lists the folder afresh;
// the following pages reuse that listing, and its sorted order, while the folder's etag is unchanged
// (listing-cache.ts), so a folder of 10,000 entries is read once per page sequence, not once per page.
import { z } from 'zod';
import { withoutMissing } from '../absent.js';
import { ETAG_TEXT, READS_ONLY, WELL_FORMED, defineTool } from '../tool.js';
import { READ_SCOPES, checkedTarget, entrySchema, limitField, offsetField, viewOf } from './shared.js';
import type { EntryView } from './shared.js';

/** The largest page: a tenth of a 10,000-entry folder, a size a model can still take in one answer. */
export const MAX_LIST_PAGE = 1000;

const input = z.object({
  path: z
    .string()
    .max(4096)
    .refine(...WELL_FORMED)
    .default('/')
    .describe('The folder to list, e.g. / for the home folder or /Documents. Items shared with the user usually appear under /Shared/.'),
  sortBy: z.enum(['name', 'modified', 'size']).default('name').describe('Sort key: name (default), modified (last change) or size.'),
  order: z.enum(['asc', 'desc']).default('asc').describe('asc (A-Z, oldest, smallest first; default) or desc.'),
  foldersFirst: z.boolean().default(true).describe('List folders before files (default true).'),
  limit: limitField(50, MAX_LIST_PAGE),
  offset: offsetField,
  etag: z
    .string()
    .max(256)
    .regex(ETAG_TEXT, 'an etag is visible ASCII text')
    .optional()
    .describe(
      "With offset, the etag of the previous page's answer: if the folder changed in between, the answer says so, as items may then have moved between pages.",
    ),
});

const output = z.object({
  path: z.string().describe('The folder that was listed.'),
  entries: z.array(entrySchema),
  total: z.number().describe('How many items the folder holds in all (that this connector may show).'),
  offset: z.number(),
  nextOffset: z.number().optional().describe('Pass as offset to get the next page; absent when this was the last page.'),
  etag: z.string().optional().describe('Version of the folder this page comes from; pass it back as etag with the next offset.'),
  note: z.string().optional(),
});

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

function compare(sortBy: 'name' | 'modified' | 'size'): (a: EntryView, b: EntryView) => number {
  if (sortBy === 'name') return (a, b) => collator.compare(a.name, b.name);
  if (sortBy === 'size') return (a, b) => (a.size ?? 0) - (b.size ?? 0) || collator.compare(a.name, b.name);
  return (a, b) => (Date.parse(a.modified ?? '') || 0) - (Date.parse(b.modified ?? '') || 0) || collator.compare(a.name, b.name);
}

export const filesList = defineTool({
  name: 'files_list',
  title: 'List a folder',
  description:
    'Lists the files and folders directly inside one folder of the user\'s Nextcloud, a page at a time, with size, last change, type, permissions and sharing of each. Use it to browse; use files_search to find items anywhere by name, type or date. Start with path "/" when unsure where something is.',
  scopes: READ_SCOPES,
  input,
  output,
  annotations: READS_ONLY,
  async run(args, context) {
    const { files, path } = checkedTarget(context, args.path, 'look');
    const folder = await files.listing(path, { reuse: args.offset > 0 });
    const byKey = compare(args.sortBy);
    const direction = args.order === 'desc' ? -1 : 1;
    const entries = folder.derive(`${args.sortBy} ${args.order} ${args.foldersFirst}`, () =>
      folder
        .entries()
        .map((entry) => viewOf(entry, context))
        .sort((a, b) => {
          if (args.foldersFirst && a.type !== b.type) return a.type === 'folder' ? -1 : 1;
          return byKey(a, b) * direction;
        }),
    );
    const page = entries.slice(args.offset, args.offset + args.limit);
    const next = args.offset + page.length;
    if (next < entries.length) folder.keep();
    // The client's etag says which listing its earlier pages came from; without one, the listing kept for them does.
    const earlier = args.offset > 0 ? (args.etag ?? folder.changedFrom) : undefined;
    const changed = earlier !== undefined && earlier !== null && earlier !== folder.etag;
    return {
      structured: withoutMissing({
        path,
        entries: [...page],
        total: entries.length,
        offset: args.offset,
        nextOffset: next < entries.length ? next : null,
        etag: folder.etag,
        note: changed
          ? `The folder changed since the earlier pages were listed (etag ${earlier} then, ${folder.etag ?? 'none'} now); this page is from the folder as it is now, so items may have moved between pages. To be sure to see everything, list again from offset 0.`
          : null,
      }),
    };
  },
});
