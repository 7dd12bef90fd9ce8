// files_delete: a plain DELETE, which Nextcloud turns into a move to the trash bin; nothing here deletes for
// good. On the root of a share the user received, DELETE only removes the share from their files.
import { z } from 'zod';
import { defineTool } from '../tool.js';
import { ToolError } from '../tool.js';
import { entryInWords } from './plans.js';
import { WRITE_SCOPES, changing, checkedTarget, pathField } from './shared.js';

const input = z.object({
  path: pathField('The file or folder to delete (a folder goes with everything inside)'),
});

const output = z.object({
  path: z.string(),
  type: z.enum(['file', 'folder']),
  outcome: z
    .enum(['moved_to_trash', 'share_removed'])
    .describe(
      'moved_to_trash: restorable from the trash bin. share_removed: the item was shared with the user; it is gone from their files, the owner still has it.',
    ),
  message: z.string(),
});

export const filesDelete = defineTool({
  name: 'files_delete',
  title: 'Delete (to the trash bin)',
  description:
    "Deletes a file or folder in the user's Nextcloud by moving it to the trash bin, from where the person can restore it in the Files app (Deleted files). Never deletes permanently. Deleting a folder shared with the user only removes it from their files. Ask the person before deleting anything they did not clearly ask to delete.",
  scopes: WRITE_SCOPES,
  input,
  output,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  async plan(args, context) {
    const { files, path } = checkedTarget(context, args.path, 'change');
    if (path === '/') throw new ToolError('invalid_input', 'The home folder cannot be deleted; name a file or folder inside it.');
    // What the delete itself would refuse is refused before the person is asked about it.
    if ((await files.hidden()).hidesBelow?.(path))
      throw new ToolError(
        'not_allowed',
        `Refused: ${path} cannot be deleted as a whole through this connector; delete the items in it instead.`,
      );
    const entry = await files.stat(path);
    if (entry.isMountRoot && entry.mountType === 'shared')
      return `Removes ${path}, which ${entry.ownerDisplayName ?? entry.ownerId ?? 'another user'} shares with ${context.userId}, from ${context.userId}'s files; the owner keeps it.`;
    return `Deletes ${entryInWords(entry)}. It goes to the trash bin, from where it can be restored until the trash is emptied.`;
  },
  async run(args, context) {
    const { files, path } = checkedTarget(context, args.path, 'change');
    if (path === '/') throw new ToolError('invalid_input', 'The home folder cannot be deleted; name a file or folder inside it.');
    const entry = await files.stat(path);
    const shareRoot = entry.isMountRoot && entry.mountType === 'shared';
    await changing(files, context, [path], `deleting ${path}`, () => files.delete(path));
    const owner = entry.ownerDisplayName ?? entry.ownerId ?? 'its owner';
    return {
      structured: {
        path,
        type: entry.type,
        outcome: shareRoot ? ('share_removed' as const) : ('moved_to_trash' as const),
        message: shareRoot
          ? `${path} was shared with ${context.userId} by ${owner}; the share is removed from ${context.userId}'s files, and ${owner} still has the ${entry.type}.`
          : `${path} was moved to the trash bin; it can be restored from "Deleted files" in the Nextcloud Files app.`,
      },
    };
  },
});
