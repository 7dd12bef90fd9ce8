// What files_move and files_copy share: where the item lands, and the refusals of MOVE and COPY in words.
import { isNextcloudError } from '../../../lib/index.js';
import type { ToolContext } from '../tool.js';
import { ToolError } from '../tool.js';
import type { ConfinedFiles } from './confined.js';
import { changing, parentOf } from './shared.js';

export async function transfer(files: ConfinedFiles, context: ToolContext, verb: 'move' | 'copy', from: string, to: string, overwrite: boolean, run: () => Promise<void>): Promise<void> {
  if (from === to) throw new ToolError('invalid_input', `from and to are the same path (${from}); give the new path, including the name.`);
  if (to.startsWith(`${from}/`)) throw new ToolError('invalid_input', `${from} cannot be ${verb === 'move' ? 'moved' : 'copied'} into itself (${to}).`);
  // A refused move may be about the source (cannot be removed there) or the target folder.
  const touched = verb === 'move' ? [from, parentOf(to)] : [parentOf(to)];
  try {
    await changing(files, context, touched, `${verb === 'move' ? 'moving' : 'copying'} ${from} to ${to}`, run);
  } catch (error) {
    if (isNextcloudError(error, 'precondition_failed') && !overwrite) {
      throw new ToolError('conflict', `${to} already exists. Choose another name, or pass overwrite: true to replace it.`);
    }
    if (isNextcloudError(error, 'conflict') && error.status === 409) {
      throw new ToolError('conflict', `The folder ${parentOf(to)} does not exist; create it with files_create_folder first.`);
    }
    throw error;
  }
}
