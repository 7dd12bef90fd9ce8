// The Files tools, in the order clients list them: reading first, then changes.
import type { Tool } from '../tool.js';
import { filesCopy } from './copy.js';
import { filesCreateFolder } from './create-folder.js';
import { filesDelete } from './delete.js';
import { filesList } from './list.js';
import { filesMove } from './move.js';
import { filesRead } from './read.js';
import { filesSearch } from './search.js';
import { filesStat } from './stat.js';
import { filesListTrash, filesRestoreFromTrash } from './trash.js';
import { filesListVersions, filesRestoreVersion } from './versions.js';
import { filesWriteText } from './write-text.js';

export const filesTools: Tool[] = [
  filesList,
  filesStat,
  filesRead,
  filesSearch,
  filesWriteText,
  filesCreateFolder,
  filesMove,
  filesCopy,
  filesDelete,
  filesListVersions,
  filesRestoreVersion,
  filesListTrash,
  filesRestoreFromTrash,
] as unknown as Tool[];

export { confinedFiles } from './confined.js';
export type { ConfinedFiles } from './confined.js';
