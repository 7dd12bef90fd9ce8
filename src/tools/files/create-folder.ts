// files_create_folder: MKCOL, one level or (parents: true) every missing level, like mkdir -p. An existing
// folder is success, so a retried call does no harm.
import { z } from 'zod';
import type { FileEntry } from '../../../lib/index.js';
import { isNextcloudError } from '../../../lib/index.js';
import { withoutMissing } from '../absent.js';
import { defineTool } from '../tool.js';
import { ToolError } from '../tool.js';
import type { ConfinedFiles } from './confined.js';
import { WRITE_SCOPES, changing, checkedTarget, parentOf, pathField, webUrlOf } from './shared.js';

const input = z.object({
  path: pathField('The folder to create, e.g. /Projects/2026'),
  parents: z
    .boolean()
    .default(false)
    .describe('true also creates missing folders above it (like mkdir -p); false (default) needs the parent folder to exist.'),
});

const output = z.object({
  path: z.string(),
  created: z.boolean().describe('false when the folder existed already.'),
  createdFolders: z.array(z.string()).describe('Every folder this call created, top-most first.'),
  fileId: z.number().optional(),
  webUrl: z.string().describe('Opens the folder in the Nextcloud web interface.'),
});

async function existing(files: ConfinedFiles, path: string): Promise<FileEntry | null> {
  try {
    return await files.stat(path);
  } catch (error) {
    if (isNextcloudError(error, 'not_found')) return null;
    throw error;
  }
}

export const filesCreateFolder = defineTool({
  name: 'files_create_folder',
  title: 'Create a folder',
  description:
    "Creates a folder in the user's Nextcloud. If it exists already, nothing changes and created is false. With parents: true, missing folders above it are created too.",
  scopes: WRITE_SCOPES,
  input,
  output,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async run(args, context) {
    const { files, path } = checkedTarget(context, args.path, 'change');
    if (path === '/') throw new ToolError('invalid_input', 'The home folder always exists; name a folder inside it, e.g. /Projects.');
    // Missing levels, deepest first, up to the first one that exists.
    const missing: string[] = [];
    for (let current = path; current !== '/'; current = parentOf(current)) {
      const found = await existing(files, current);
      if (found) {
        if (found.type !== 'folder') throw new ToolError('conflict', `${found.path} is a file, so ${path} cannot be created there.`);
        if (current === path)
          return {
            structured: withoutMissing({
              path,
              created: false,
              createdFolders: [],
              fileId: found.fileId,
              webUrl: webUrlOf(context, found),
            }),
          };
        break;
      }
      missing.unshift(current);
      if (!args.parents) break;
    }
    const created: string[] = [];
    for (const folder of missing) {
      try {
        await changing(files, context, [folder], `creating ${folder}`, () => files.mkdir(folder));
        created.push(folder);
      } catch (error) {
        // 409: the parent is missing (MKCOL creates one level); 405: created meanwhile, which is what was wanted.
        if (isNextcloudError(error, 'conflict') && error.status === 409) {
          const parent = await existing(files, parentOf(folder)).catch(() => null);
          if (parent?.type === 'file') throw new ToolError('conflict', `${parent.path} is a file, so ${path} cannot be created there.`);
          throw new ToolError(
            'conflict',
            `The folder ${parentOf(folder)} does not exist; create it first, or pass parents: true to create both.`,
          );
        }
        if (!isNextcloudError(error, 'conflict') || (await existing(files, folder))?.type !== 'folder') throw error;
      }
    }
    const entry = await files.stat(path);
    return {
      structured: withoutMissing({
        path,
        created: created.includes(path),
        createdFolders: created,
        fileId: entry.fileId,
        webUrl: webUrlOf(context, entry),
      }),
    };
  },
});
