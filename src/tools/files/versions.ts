// files_list_versions and files_restore_version: the earlier contents Nextcloud keeps of a file (files_versions),
// through the folder allowlist and the hidden-tag rule like every other file tool.
import { z } from 'zod';
import type { FileEntry } from '../../../lib/index.js';
import { withoutMissing } from '../absent.js';
import type { ToolContext } from '../tool.js';
import { READS_ONLY, ToolError, defineTool } from '../tool.js';
import { READ_SCOPES, WRITE_SCOPES, changing, checkedTarget, pathField } from './shared.js';

const versionIdField = z
  .string()
  .regex(/^\d{1,20}$/, 'a version id is the number files_list_versions gave')
  .describe('The versionId of a version, as files_list_versions lists it.');

const versionSchema = z.object({
  versionId: z.string().describe('Pass it to files_restore_version.'),
  modified: z.string().describe('When this content was written, ISO 8601.'),
  size: z.number(),
  contentType: z.string().optional(),
  label: z.string().optional().describe('A name someone gave the version in Nextcloud.'),
  author: z.string().optional().describe('Who wrote this content (user id), when Nextcloud records it.'),
  current: z.boolean().describe('This is the content the file has now.'),
});

/** The file at a path (not a folder), with its id: what versions are kept of. */
async function fileAt(context: ToolContext, path: string, purpose: 'look' | 'change') {
  const target = checkedTarget(context, path, purpose);
  const entry: FileEntry = await target.files.stat(target.path);
  if (entry.type !== 'file') throw new ToolError('invalid_input', `${target.path} is a folder; only files have versions.`);
  if (entry.fileId === null)
    throw new ToolError('unsupported', `Nextcloud named no file id for ${target.path}, so its versions cannot be found.`);
  return { ...target, entry, fileId: entry.fileId };
}

export const filesListVersions = defineTool({
  name: 'files_list_versions',
  title: 'List the versions of a file',
  description:
    'Lists the versions Nextcloud kept of a file, newest first: the current content and each earlier content it replaced, with when it was written and its size. Use files_restore_version to bring an earlier one back.',
  scopes: READ_SCOPES,
  input: z.object({ path: pathField('The file whose versions to list') }),
  output: z.object({ path: z.string(), fileId: z.number(), versions: z.array(versionSchema) }),
  annotations: READS_ONLY,
  async run(args, context) {
    const { path, fileId } = await fileAt(context, args.path, 'look');
    const versions = await context.user.versions.list(fileId);
    return {
      structured: {
        path,
        fileId,
        versions: versions.map((version) =>
          withoutMissing({
            versionId: version.id,
            modified: version.modified,
            size: version.size,
            contentType: version.contentType,
            label: version.label || null,
            author: version.author,
            current: version.current,
          }),
        ),
      },
    };
  },
});

/** The version asked for, among the file's versions; a version of another file is not found. */
async function versionOf(context: ToolContext, fileId: number, path: string, versionId: string) {
  const versions = await context.user.versions.list(fileId);
  const version = versions.find((v) => v.id === versionId);
  if (!version) throw new ToolError('not_found', `${path} has no version ${versionId}; files_list_versions lists the ones it has.`);
  return version;
}

export const filesRestoreVersion = defineTool({
  name: 'files_restore_version',
  title: 'Restore a version of a file',
  description:
    'Makes an earlier version of a file its current content again. The content it replaces is not lost: Nextcloud keeps it as a new version, which can be restored in turn. Get the versionId from files_list_versions.',
  scopes: WRITE_SCOPES,
  input: z.object({ path: pathField('The file to restore a version of'), versionId: versionIdField }),
  output: z.object({ path: z.string(), restored: z.boolean(), message: z.string() }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  async plan(args, context) {
    const { path, fileId } = await fileAt(context, args.path, 'change');
    const version = await versionOf(context, fileId, path, args.versionId);
    if (version.current) return null;
    return `Replaces the current content of ${path} with its version of ${version.modified} (${version.size.toLocaleString('en')} bytes). The current content is kept as a version and can be restored afterwards.`;
  },
  async run(args, context) {
    const { files, path, fileId } = await fileAt(context, args.path, 'change');
    const version = await versionOf(context, fileId, path, args.versionId);
    if (version.current)
      return {
        structured: { path, restored: false, message: `Version ${version.id} is already the current content of ${path}; nothing changed.` },
      };
    await changing(files, context, [path], `restoring a version of ${path}`, () => context.user.versions.restore(fileId, version.id));
    return {
      structured: {
        path,
        restored: true,
        message: `${path} has the content of ${version.modified} again; the content it had before is kept as a version.`,
      },
    };
  },
});
