// What files_move and files_copy share: checking both paths, where the item lands, the refusals of MOVE and COPY
// in words, and the answer.
import { isNextcloudError } from '../../../lib/index.js';
import type { ToolContext } from '../tool.js';
import { ToolError } from '../tool.js';
import { entryInWords, existingEntry } from './plans.js';
import type { EntryView } from './shared.js';
import { changing, filesOf, parentOf, targetPath, viewOf, webUrlOf } from './shared.js';

export interface TransferArgs {
  from: string;
  to: string;
  overwrite: boolean;
}

/** What a move or copy with overwrite would replace; null when it replaces nothing. */
export async function transferPlan(context: ToolContext, verb: 'move' | 'copy', args: TransferArgs): Promise<string | null> {
  if (!args.overwrite) return null;
  const files = filesOf(context);
  const from = files.check(args.from, verb === 'move' ? 'change' : 'look');
  const to = files.check(targetPath(from, args.to), 'change');
  const replaced = await existingEntry(files, to);
  if (!replaced) return null;
  return `${verb === 'move' ? 'Moves' : 'Copies'} ${from} to ${to}, replacing ${entryInWords(replaced)}. What is replaced goes to the trash bin.`;
}

/** Moves or copies as the tools' arguments say; a copy only reads its source, a move changes it. */
export async function transferAs(
  context: ToolContext,
  verb: 'move' | 'copy',
  args: TransferArgs,
): Promise<{ from: string; to: string; entry: EntryView; webUrl: string }> {
  const files = filesOf(context);
  const from = files.check(args.from, verb === 'move' ? 'change' : 'look');
  const to = files.check(targetPath(from, args.to), 'change');
  context.audit(from);
  context.audit(to);
  if (from === to) throw new ToolError('invalid_input', `from and to are the same path (${from}); give the new path, including the name.`);
  if (to.startsWith(`${from}/`))
    throw new ToolError('invalid_input', `${from} cannot be ${verb === 'move' ? 'moved' : 'copied'} into itself (${to}).`);
  const options = { overwrite: args.overwrite };
  // A refused move may be about the source (cannot be removed there) or the target folder.
  const touched = verb === 'move' ? [from, parentOf(to)] : [parentOf(to)];
  try {
    await changing(files, context, touched, `${verb === 'move' ? 'moving' : 'copying'} ${from} to ${to}`, () =>
      verb === 'move' ? files.move(from, to, options) : files.copy(from, to, options),
    );
  } catch (error) {
    if (isNextcloudError(error, 'precondition_failed') && !args.overwrite) {
      throw new ToolError('conflict', `${to} already exists. Choose another name, or pass overwrite: true to replace it.`);
    }
    if (isNextcloudError(error, 'conflict') && error.status === 409) {
      throw new ToolError('conflict', `The folder ${parentOf(to)} does not exist; create it with files_create_folder first.`);
    }
    throw error;
  }
  const entry = await files.stat(to);
  return { from, to, entry: viewOf(entry, context), webUrl: webUrlOf(context, entry) };
}
