// System tags over WebDAV (systemtags/, systemtags-relations/, REPORT oc:filter-files).
import { z } from 'zod';
import type { XmlNode } from './dav-xml.js';
import { NS, child, clark, escapeXml, readMultistatus, text } from './dav-xml.js';
import { ENTRY_PROPS, NAMESPACES, PROPS, fileEntryReader } from './file-entries.js';
import type { FileEntry } from './file-entries.js';
import { InvalidArgumentError, NextcloudError, isNextcloudError } from './errors.js';
import type { HttpClient } from './http.js';
import { unexpectedAnswer } from './http.js';

export const systemTagSchema = z.object({
  id: z.number().int().positive(),
  name: z.string(),
  userVisible: z.boolean(),
  userAssignable: z.boolean(),
  canAssign: z.boolean(),
});
export type SystemTag = z.infer<typeof systemTagSchema>;

export interface SystemTagsClient {
  /** Every tag this user can see (restricted ones included; invisible ones only for admins). */
  list(): Promise<SystemTag[]>;
  /** The visible tags on one file or folder. */
  ofFile(fileId: number): Promise<SystemTag[]>;
  /** Every file and folder the user can reach that carries all these tags, at the user's paths. */
  filesWith(tagIds: readonly number[]): Promise<FileEntry[]>;
  /** Puts a tag on a file (needs update permission on the file and a tag the user may assign). */
  assign(fileId: number, tagId: number): Promise<void>;
  /** Takes a tag off a file. */
  unassign(fileId: number, tagId: number): Promise<void>;
}

const TAG_PROPS = ['id', 'display-name', 'user-visible', 'user-assignable', 'can-assign'];
const TAG_PROPFIND = `<?xml version="1.0" encoding="utf-8"?>
<d:propfind xmlns:d="DAV:" xmlns:oc="${NS.oc}"><d:prop>${TAG_PROPS.map((p) => `<oc:${p}/>`).join('')}</d:prop></d:propfind>`;
const TAG_PROP_NAMES: ReadonlySet<string> = new Set(TAG_PROPS.map((p) => clark(NS.oc, p)));

export function systemTagsClient(http: HttpClient, timeoutMs = 30_000): SystemTagsClient {
  const davRoot = `/remote.php/dav/files/${encodeURIComponent(http.userId)}`;
  const toEntry = fileEntryReader(http.baseUrl, davRoot);

  const tagsAt = async (path: string): Promise<SystemTag[]> => {
    const response = await http.request('PROPFIND', path, {
      headers: { Depth: '1', 'Content-Type': 'application/xml; charset=utf-8' },
      body: TAG_PROPFIND,
      timeoutMs,
    });
    const responses = await readMultistatus(response, 'PROPFIND', path, { props: TAG_PROP_NAMES });
    // The collection itself answers too, without oc:id.
    return responses.filter((r) => child(r.props, NS.oc, 'id') !== undefined).map((r) => tagOf(r.props, path));
  };

  const relation = async (method: 'PUT' | 'DELETE', fileId: number, tagId: number) => {
    checkId(fileId, 'file');
    checkId(tagId, 'tag');
    const path = `/remote.php/dav/systemtags-relations/files/${fileId}/${tagId}`;
    let response: Response;
    try {
      response = await http.request(method, path, { timeoutMs });
    } catch (error) {
      if (isNextcloudError(error, 'precondition_failed'))
        throw new NextcloudError({
          code: 'not_found',
          status: error.status,
          method,
          path,
          remoteMessage: error.remoteMessage,
          message: `The system tag ${tagId} does not exist or is not visible to ${http.userId}.`,
        });
      throw error;
    }
    await response.body?.cancel().catch(() => undefined);
    const expected = method === 'PUT' ? 201 : 204;
    if (response.status !== expected) throw unexpectedAnswer(method, path, `${response.status} instead of ${expected}`, response.status);
  };

  return {
    list: () => tagsAt('/remote.php/dav/systemtags/'),
    ofFile(fileId) {
      checkId(fileId, 'file');
      return tagsAt(`/remote.php/dav/systemtags-relations/files/${fileId}/`);
    },
    assign: (fileId, tagId) => relation('PUT', fileId, tagId),
    unassign: (fileId, tagId) => relation('DELETE', fileId, tagId),
    async filesWith(tagIds) {
      if (tagIds.length === 0) throw new InvalidArgumentError('Finding files by tag needs at least one tag.');
      for (const id of tagIds) checkId(id, 'tag');
      const path = `${davRoot}/`;
      const rules = tagIds.map((id) => `<oc:systemtag>${escapeXml(String(id))}</oc:systemtag>`).join('');
      const body = `<?xml version="1.0" encoding="utf-8"?>
<oc:filter-files ${NAMESPACES}><d:prop>${PROPS}</d:prop><oc:filter-rules>${rules}</oc:filter-rules></oc:filter-files>`;
      let response: Response;
      try {
        response = await http.request('REPORT', path, { headers: { 'Content-Type': 'application/xml; charset=utf-8' }, body, timeoutMs });
      } catch (error) {
        if (isNextcloudError(error, 'precondition_failed'))
          throw new NextcloudError({
            code: 'not_found',
            status: error.status,
            method: 'REPORT',
            path,
            remoteMessage: error.remoteMessage,
            message: `The system tag ${tagIds.join(', ')} does not exist or is not visible to ${http.userId}, so files cannot be found by it.`,
          });
        throw error;
      }
      const responses = await readMultistatus(response, 'REPORT', path, { props: ENTRY_PROPS });
      return responses.map((r) => toEntry(r.href, r.props, 'REPORT', path));
    },
  };
}

function checkId(id: number, what: 'file' | 'tag'): void {
  if (!Number.isSafeInteger(id) || id <= 0) throw new InvalidArgumentError(`${id} is not a ${what} id.`);
}

function tagOf(props: XmlNode, path: string): SystemTag {
  const flag = (local: string) => text(child(props, NS.oc, local)) === 'true';
  const parsed = systemTagSchema.safeParse({
    id: Number(text(child(props, NS.oc, 'id'))),
    name: text(child(props, NS.oc, 'display-name')) ?? '',
    userVisible: flag('user-visible'),
    userAssignable: flag('user-assignable'),
    canAssign: flag('can-assign'),
  });
  if (!parsed.success) throw unexpectedAnswer('PROPFIND', path, 'a system tag without a valid oc:id', 207);
  return parsed.data;
}
