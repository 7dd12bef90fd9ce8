// File versions over WebDAV (versions/{uid}/versions/{fileId}).
import { z } from 'zod';
import { NS, child, clark, hrefName, readMultistatus, text } from './dav-xml.js';
import { InvalidArgumentError } from './errors.js';
import type { HttpClient } from './http.js';
import { bodyBrokeOff, unexpectedAnswer } from './http.js';

export const fileVersionSchema = z.object({
  /** The revision (a Unix time) that names the version. */
  id: z.string().regex(/^\d+$/),
  modified: z.string(),
  size: z.number().int().min(0),
  contentType: z.string().nullable(),
  label: z.string(),
  author: z.string().nullable(),
  /** The newest entry is the current content (Nextcloud lists it with the earlier ones). */
  current: z.boolean(),
});
export type FileVersion = z.infer<typeof fileVersionSchema>;

export interface VersionsClient {
  /** The versions of a file, newest (the current content) first. */
  list(fileId: number): Promise<FileVersion[]>;
  /** The content of one version. */
  read(fileId: number, versionId: string): Promise<Uint8Array>;
  /** Makes a version the current content; the content it replaces is kept as a version by Nextcloud. */
  restore(fileId: number, versionId: string): Promise<void>;
}

const PROPS = ['getlastmodified', 'getcontentlength', 'getcontenttype', 'getetag'];
const NC_PROPS = ['version-label', 'version-author'];
const BODY = `<?xml version="1.0" encoding="utf-8"?>
<d:propfind xmlns:d="DAV:" xmlns:nc="${NS.nc}"><d:prop>${PROPS.map((p) => `<d:${p}/>`).join('')}${NC_PROPS.map((p) => `<nc:${p}/>`).join('')}</d:prop></d:propfind>`;
const PROP_NAMES: ReadonlySet<string> = new Set([...PROPS.map((p) => clark(NS.dav, p)), ...NC_PROPS.map((p) => clark(NS.nc, p))]);

function checkIds(fileId: number, versionId?: string): void {
  if (!Number.isSafeInteger(fileId) || fileId <= 0) throw new InvalidArgumentError(`${fileId} is not a file id.`);
  if (versionId !== undefined && !/^\d{1,20}$/.test(versionId))
    throw new InvalidArgumentError(`"${versionId.slice(0, 40)}" is not a version id.`);
}

export function versionsClient(http: HttpClient, timeoutMs = 30_000): VersionsClient {
  const home = `/remote.php/dav/versions/${encodeURIComponent(http.userId)}`;
  return {
    async list(fileId) {
      checkIds(fileId);
      const path = `${home}/versions/${fileId}`;
      const response = await http.request('PROPFIND', path, {
        headers: { Depth: '1', 'Content-Type': 'application/xml; charset=utf-8' },
        body: BODY,
        timeoutMs,
      });
      const responses = await readMultistatus(response, 'PROPFIND', path, { props: PROP_NAMES });
      const versions = responses
        .map((r) => ({ name: hrefName(r.href), props: r.props }))
        .filter((r) => r.name !== String(fileId))
        .map(({ name, props }) => {
          const modified = text(child(props, NS.dav, 'getlastmodified'));
          const parsed = fileVersionSchema.safeParse({
            id: name,
            modified: modified && !Number.isNaN(Date.parse(modified)) ? new Date(modified).toISOString() : '',
            size: Number(text(child(props, NS.dav, 'getcontentlength')) ?? 0),
            contentType: text(child(props, NS.dav, 'getcontenttype')) ?? null,
            label: text(child(props, NS.nc, 'version-label')) ?? '',
            author: text(child(props, NS.nc, 'version-author')) || null,
            current: false,
          });
          if (!parsed.success || parsed.data.modified === '')
            throw unexpectedAnswer('PROPFIND', path, `a version entry that is not a revision with a date (${name.slice(0, 40)})`, 207);
          return parsed.data;
        })
        .sort((a, b) => Number(b.id) - Number(a.id));
      if (versions[0]) versions[0].current = true;
      return versions;
    },
    async read(fileId, versionId) {
      checkIds(fileId, versionId);
      const path = `${home}/versions/${fileId}/${versionId}`;
      const response = await http.request('GET', path, { timeoutMs });
      try {
        return new Uint8Array(await response.arrayBuffer());
      } catch (error) {
        throw bodyBrokeOff(error, 'GET', path, response.status);
      }
    },
    async restore(fileId, versionId) {
      checkIds(fileId, versionId);
      const path = `${home}/versions/${fileId}/${versionId}`;
      const response = await http.request('MOVE', path, { headers: { Destination: `${http.baseUrl}${home}/restore/target` }, timeoutMs });
      await response.body?.cancel().catch(() => undefined);
      if (response.status !== 201 && response.status !== 204)
        throw unexpectedAnswer('MOVE', path, `${response.status} instead of a restored version (201)`, response.status);
    },
  };
}
