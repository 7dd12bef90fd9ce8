// The admin's "hidden by tag" rule: files and folders carrying one of the policy's hidden system tags, and
// everything below a tagged folder, exist for no tool. Fails closed: when the tags cannot be read, nothing is shown.
import type { ToolContext } from '../tool.js';
import { ToolError } from '../tool.js';

export interface HiddenFiles {
  /** Whether a path in the user's files (as the user sees it, e.g. /Shared/Plans/x.md) is hidden. */
  hidesPath(path: string): boolean;
  /** Whether the file or folder with this Nextcloud file id is hidden (tagged itself, or found below a tagged folder). */
  hidesFileId(fileId: string | number): boolean;
}

const NOTHING_HIDDEN: HiddenFiles = { hidesPath: () => false, hidesFileId: () => false };

/** The hidden files of this call's user, under this call's policy. */
export async function hiddenFiles(context: ToolContext): Promise<HiddenFiles> {
  if (context.policy.hiddenTags.length === 0) return NOTHING_HIDDEN;
  throw new ToolError('not_allowed', 'Refused: the files the administrator hid by tag cannot be determined.');
}
