// The trash bin over WebDAV (trashbin/{uid}/trash).
import { z } from 'zod';
import { NS, child, clark, hrefName, readMultistatus, text } from './dav-xml.js';
import { InvalidArgumentError } from './errors.js';
import type { HttpClient } from './http.js';
import { unexpectedAnswer } from './http.js';

export const trashItemSchema = z.object({
  /** The item's name in the trash bin ({name}.d{deletion time}); what restore takes. */
  id: z.string().min(1),
  name: z.string(),
  /** Where it was, with its name, as a path in the user's files (/Documents/a.txt). */
  originalLocation: z.string().startsWith('/'),
  deletedAt: z.string(),
  fileId: z.number().int().positive().nullable(),
  type: z.enum(['file', 'folder']),
  size: z.number().int().min(0),
});
export type TrashItem = z.infer<typeof trashItemSchema>;

export interface TrashClient {
  /** What is in the user's trash bin, most recently deleted first. */
  list(): Promise<TrashItem[]>;
  /** Puts an item back where it was (or in the home folder when that folder is gone; renamed on a clash). */
  restore(itemId: string): Promise<void>;
}

const NC_PROPS = ['trashbin-filename', 'trashbin-original-location', 'trashbin-deletion-time'];
const OC_PROPS = ['fileid', 'size'];
const BODY = `<?xml version="1.0" encoding="utf-8"?>
<d:propfind xmlns:d="DAV:" xmlns:oc="${NS.oc}" xmlns:nc="${NS.nc}"><d:prop><d:resourcetype/>${NC_PROPS.map((p) => `<nc:${p}/>`).join('')}${OC_PROPS.map((p) => `<oc:${p}/>`).join('')}</d:prop></d:propfind>`;
const PROP_NAMES: ReadonlySet<string> = new Set([
  clark(NS.dav, 'resourcetype'),
  ...NC_PROPS.map((p) => clark(NS.nc, p)),
  ...OC_PROPS.map((p) => clark(NS.oc, p)),
]);

function checkItemId(itemId: string): void {
  if (!itemId || itemId === '.' || itemId === '..' || /[/\\\u0000]/.test(itemId))
    throw new InvalidArgumentError(`"${itemId.slice(0, 80)}" is not a trash bin item.`);
}

export function trashClient(http: HttpClient, timeoutMs = 30_000): TrashClient {
  const home = `/remote.php/dav/trashbin/${encodeURIComponent(http.userId)}`;
  return {
    async list() {
      const path = `${home}/trash`;
      const response = await http.request('PROPFIND', path, {
        headers: { Depth: '1', 'Content-Type': 'application/xml; charset=utf-8' },
        body: BODY,
        timeoutMs,
      });
      const responses = await readMultistatus(response, 'PROPFIND', path, { props: PROP_NAMES });
      const items = responses
        .filter((r) => child(r.props, NS.nc, 'trashbin-original-location') !== undefined)
        .map((r) => {
          const id = hrefName(r.href);
          const location = text(child(r.props, NS.nc, 'trashbin-original-location')) ?? '';
          const seconds = Number(text(child(r.props, NS.nc, 'trashbin-deletion-time')));
          const fileId = Number(text(child(r.props, NS.oc, 'fileid')));
          const parsed = trashItemSchema.safeParse({
            id,
            name: text(child(r.props, NS.nc, 'trashbin-filename')) || location.split('/').pop() || id,
            originalLocation: `/${location.replace(/^\/+/, '')}`,
            deletedAt: Number.isFinite(seconds) && seconds > 0 ? new Date(seconds * 1000).toISOString() : '',
            fileId: Number.isSafeInteger(fileId) && fileId > 0 ? fileId : null,
            type: child(child(r.props, NS.dav, 'resourcetype'), NS.dav, 'collection') ? 'folder' : 'file',
            size: Number(text(child(r.props, NS.oc, 'size')) ?? 0) || 0,
          });
          if (!parsed.success || parsed.data.deletedAt === '')
            throw unexpectedAnswer(
              'PROPFIND',
              path,
              `a trash bin item without a valid location or deletion time (${id.slice(0, 80)})`,
              207,
            );
          return parsed.data;
        });
      return items.sort((a, b) => b.deletedAt.localeCompare(a.deletedAt));
    },
    async restore(itemId) {
      checkItemId(itemId);
      const encoded = encodeURIComponent(itemId);
      const path = `${home}/trash/${encoded}`;
      const response = await http.request('MOVE', path, {
        headers: { Destination: `${http.baseUrl}${home}/restore/${encoded}` },
        timeoutMs,
      });
      await response.body?.cancel().catch(() => undefined);
      if (response.status !== 201 && response.status !== 204)
        throw unexpectedAnswer('MOVE', path, `${response.status} instead of a restored item (201)`, response.status);
    },
  };
}
