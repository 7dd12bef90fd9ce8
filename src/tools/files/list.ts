// files_list: one folder, paged. Nextcloud answers a folder listing whole (PROPFIND Depth 1), so sorting and
// paging happen here, after the allowlist has filtered what may be shown.
import { z } from 'zod';
import { withoutMissing } from '../absent.js';
import { READS_ONLY, WELL_FORMED, defineTool } from '../tool.js';
import { READ_SCOPES, checkedTarget, entrySchema, limitField, offsetField, viewOf } from './shared.js';
import type { EntryView } from './shared.js';

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
  limit: limitField(50, 200),
  offset: offsetField,
});

const output = z.object({
  path: z.string().describe('The folder that was listed.'),
  entries: z.array(entrySchema),
  total: z.number().describe('How many items the folder holds in all (that this connector may show).'),
  offset: z.number(),
  nextOffset: z.number().optional().describe('Pass as offset to get the next page; absent when this was the last page.'),
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
    const entries = (await files.list(path)).map((entry) => viewOf(entry, context));
    const byKey = compare(args.sortBy);
    const direction = args.order === 'desc' ? -1 : 1;
    entries.sort((a, b) => {
      if (args.foldersFirst && a.type !== b.type) return a.type === 'folder' ? -1 : 1;
      return byKey(a, b) * direction;
    });
    const page = entries.slice(args.offset, args.offset + args.limit);
    const next = args.offset + page.length;
    return { structured: withoutMissing({ path, entries: page, total: entries.length, offset: args.offset, nextOffset: next < entries.length ? next : null }) };
  },
});
