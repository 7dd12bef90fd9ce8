// files_list_trash and files_restore_from_trash: the user's trash bin. An item is shown only when the place it
// was deleted from lies inside the admin's allowed folders. While the admin hides files by tag the trash bin is
// closed to this connector: Nextcloud finds tagged files among live ones only (REPORT oc:filter-files), so neither
// a trashed item nor what a trashed folder holds can be checked for the hidden tags, and the rule fails closed.
import { z } from 'zod';
import type { TrashClient } from '../../../lib/index.js';
import { isNextcloudError } from '../../../lib/index.js';
import { relationTo } from '../../policy/folders.js';
import { withoutMissing } from '../absent.js';
import type { ToolContext } from '../tool.js';
import { READS_ONLY, ToolError, WELL_FORMED, defineTool } from '../tool.js';
import type { ConfinedFiles } from './confined.js';
import { READ_SCOPES, WRITE_SCOPES, changing, filesOf, limitField, offsetField, parentOf } from './shared.js';

const itemSchema = z.object({
  itemId: z.string().describe('Pass it to files_restore_from_trash.'),
  name: z.string(),
  originalLocation: z.string().describe('Where it was, with its name; a restore puts it back there.'),
  deletedAt: z.string().describe('When it was deleted, ISO 8601.'),
  type: z.enum(['file', 'folder']),
  size: z.number(),
  fileId: z.number().optional(),
});

/** The trash bin as this call may see it. */
type TrashItem = Awaited<ReturnType<TrashClient['list']>>[number];

async function visibleItems(context: ToolContext): Promise<TrashItem[]> {
  if (context.policy.hiddenTags.length > 0)
    throw new ToolError(
      'not_allowed',
      'Refused: the administrator hides some files from this connector by tag, and what is in the trash bin cannot be checked for tags, so the trash bin is not available through it. Deleted files can be restored in the Nextcloud Files app (Deleted files).',
    );
  const allowlist = context.policy.folderAllowlist;
  const items = await context.user.trash.list();
  return items.filter((item) => allowlist.length === 0 || relationTo(item.originalLocation, allowlist) === 'inside');
}

export const filesListTrash = defineTool({
  name: 'files_list_trash',
  title: 'List the trash bin',
  description:
    "Lists what is in the user's Nextcloud trash bin (deleted files and folders), most recently deleted first, with where each was and when it was deleted. Use files_restore_from_trash to put one back.",
  scopes: READ_SCOPES,
  input: z.object({ limit: limitField(50, 500), offset: offsetField }),
  output: z.object({ items: z.array(itemSchema), total: z.number(), nextOffset: z.number().optional() }),
  annotations: READS_ONLY,
  async run(args, context) {
    const items = await visibleItems(context);
    const page = items.slice(args.offset, args.offset + args.limit);
    const next = args.offset + page.length;
    return {
      structured: withoutMissing({
        items: page.map((item) =>
          withoutMissing({
            itemId: item.id,
            name: item.name,
            originalLocation: item.originalLocation,
            deletedAt: item.deletedAt,
            type: item.type,
            size: item.size,
            fileId: item.fileId,
          }),
        ),
        total: items.length,
        nextOffset: next < items.length ? next : null,
      }),
    };
  },
});

export const filesRestoreFromTrash = defineTool({
  name: 'files_restore_from_trash',
  title: 'Restore from the trash bin',
  description:
    'Puts a deleted file or folder back where it was, from the trash bin. If an item of the same name is there now, the restored one is renamed ("name (restored).ext"); nothing is overwritten. Get the itemId from files_list_trash.',
  scopes: WRITE_SCOPES,
  input: z.object({
    itemId: z
      .string()
      .min(1)
      .max(1024)
      .refine(...WELL_FORMED)
      .describe('The itemId of the item, as files_list_trash lists it.'),
  }),
  output: z.object({ itemId: z.string(), restoredTo: z.string().optional(), message: z.string() }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async run(args, context) {
    const files = filesOf(context);
    const item = (await visibleItems(context)).find((candidate) => candidate.id === args.itemId);
    if (!item)
      throw new ToolError('not_found', `There is no item ${args.itemId} in the trash bin; files_list_trash lists the ones there are.`);
    const folder = parentOf(item.originalLocation);
    // Nextcloud restores into the home folder when the original folder is gone or takes nothing new (a share that
    // became read-only): that must be a place this call may change too.
    const destination = (await takesNewItems(files, folder)) ? folder : '/';
    if (destination === '/' && context.policy.folderAllowlist.length > 0)
      throw new ToolError(
        'not_allowed',
        `Refused: ${folder}, where ${item.name} was, no longer exists or takes no new items, so Nextcloud would restore it to the home folder, outside the folders the administrator made available. Recreate ${folder} first (files_create_folder).`,
      );
    files.check(destination === '/' ? `/${item.name}` : item.originalLocation, 'change');
    context.audit(item.originalLocation);
    await changing(files, context, [item.originalLocation], `restoring ${item.originalLocation}`, () =>
      context.user.trash.restore(item.id),
    );
    const restoredTo = await whereRestored(files, destination, item);
    return {
      structured: withoutMissing({
        itemId: item.id,
        restoredTo,
        message: restoredTo
          ? `${item.name} is back at ${restoredTo}.`
          : `${item.name} was restored into ${destination === '/' ? 'the home folder' : destination}.`,
      }),
    };
  },
});

async function takesNewItems(files: ConfinedFiles, folder: string): Promise<boolean> {
  if (folder === '/') return true;
  try {
    const entry = await files.stat(folder);
    return entry.type === 'folder' && entry.permissions.create;
  } catch (error) {
    // Only a folder that is gone is gone; a Nextcloud that did not answer is reported as such.
    if (isNextcloudError(error, 'not_found')) return false;
    throw error;
  }
}

/** The restored item's path: found by its file id, which Nextcloud keeps, in the folder it went to. */
async function whereRestored(files: ConfinedFiles, folder: string, item: TrashItem): Promise<string | null> {
  if (item.fileId === null) return null;
  try {
    return (await files.list(folder)).find((entry) => entry.fileId === item.fileId)?.path ?? null;
  } catch {
    return null;
  }
}
