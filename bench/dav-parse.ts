// Micro-benchmark: reading a 10,000-entry PROPFIND answer (the shape Nextcloud sends for a folder listing) with
// the former parser (fast-xml-parser: validate, generic tree, namespace resolution: three passes over everything)
// and with the streaming reader of lib/dav-xml.ts (one pass, the body fed in 64 KiB chunks as fetch delivers it,
// only the properties files need kept). Prints microseconds per entry (wall time, and the process's CPU time),
// best of a few rounds so that other load on the machine counts as little as possible. Figures only; nothing is
// asserted.
// Run with `node --expose-gc --import tsx bench/dav-parse.ts` (ENTRIES=… to change the size).
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { eachMultistatusResponse, parseMultistatus } from '../lib/dav-xml.js';
import type { FileEntry } from '../lib/file-entries.js';
import { ENTRY_PROPS, fileEntryReader } from '../lib/file-entries.js';
import { referenceParseMultistatus } from '../tests/lib/dav-xml-reference.js';

const ENTRIES = Number(process.env.ENTRIES ?? 10_000);
const ROUNDS = Number(process.env.ROUNDS ?? 20);
const CHUNK = 64 * 1024;

/** A folder listing as Nextcloud writes it: the folder, then files and folders, some shared, a 404 propstat each. */
function listing(entries: number): string {
  const ns = 'xmlns:d="DAV:" xmlns:s="http://sabredav.org/ns" xmlns:oc="http://owncloud.org/ns" xmlns:nc="http://nextcloud.org/ns"';
  const parts = [`<?xml version="1.0" encoding="utf-8"?>\n<d:multistatus ${ns}>`];
  const entry = (href: string, folder: boolean, index: number) => {
    const shared = index % 7 === 0 ? '<oc:share-type>0</oc:share-type><oc:share-type>3</oc:share-type>' : '';
    const common = `<d:displayname>${href.split('/').filter(Boolean).at(-1)}</d:displayname><d:getetag>"${(index * 2654435761).toString(16).padStart(14, '0')}"</d:getetag><oc:fileid>${1000 + index}</oc:fileid><oc:permissions>${folder ? 'RGDNVCK' : 'RGDNVW'}</oc:permissions><oc:size>${index * 37}</oc:size><oc:favorite>${index % 11 === 0 ? 1 : 0}</oc:favorite><oc:owner-id>alice</oc:owner-id><oc:owner-display-name>Alice Liddell</oc:owner-display-name><oc:share-types>${shared}</oc:share-types><nc:mount-type></nc:mount-type><nc:is-mount-root>false</nc:is-mount-root>`;
    const modified = new Date(Date.UTC(2026, 0, 1) + index * 60_000).toUTCString();
    const found = folder
      ? `${common}<d:resourcetype><d:collection/></d:resourcetype><d:getlastmodified>${modified}</d:getlastmodified>`
      : `${common}<d:resourcetype/><d:getlastmodified>${modified}</d:getlastmodified><d:getcontenttype>text/plain</d:getcontenttype><d:getcontentlength>${index * 37}</d:getcontentlength>`;
    const missing = folder
      ? '<d:propstat><d:prop><d:getcontenttype/><d:getcontentlength/></d:prop><d:status>HTTP/1.1 404 Not Found</d:status></d:propstat>'
      : '';
    return `<d:response><d:href>${href}</d:href><d:propstat><d:prop>${found}</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>${missing}</d:response>`;
  };
  parts.push(entry('/remote.php/dav/files/alice/Big/', true, 0));
  for (let index = 1; index < entries; index++) {
    const folder = index % 20 === 0;
    parts.push(
      entry(
        `/remote.php/dav/files/alice/Big/${folder ? `Folder%20${index}/` : `file-${String(index).padStart(5, '0')}.txt`}`,
        folder,
        index,
      ),
    );
  }
  parts.push('</d:multistatus>\n');
  return parts.join('');
}

/** The answer as fetch hands it over: a 207 whose body arrives in chunks. */
function answer(bytes: Uint8Array): Response {
  let offset = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(offset, offset + CHUNK));
      offset += CHUNK;
    },
  });
  return new Response(body, { status: 207, headers: { 'content-type': 'application/xml; charset=utf-8' } });
}

/** Best CPU and wall time of a few rounds, in ms, after warming up (the heap grown as in a running app). */
async function measure(work: () => unknown): Promise<{ cpu: number; wall: number }> {
  let cpu = Number.POSITIVE_INFINITY;
  let wall = Number.POSITIVE_INFINITY;
  global.gc?.();
  for (let round = 0; round < 3; round++) await work();
  for (let round = 0; round < ROUNDS; round++) {
    const started = process.cpuUsage();
    const t0 = performance.now();
    await work();
    wall = Math.min(wall, performance.now() - t0);
    const used = process.cpuUsage(started);
    cpu = Math.min(cpu, (used.user + used.system) / 1000);
  }
  return { cpu, wall };
}

const xml = listing(ENTRIES);
const toEntry = fileEntryReader('http://127.0.0.1:8080', '/remote.php/dav/files/alice');
const PATH = '/remote.php/dav/files/alice/Big';
const bytes = new TextEncoder().encode(xml);
const load = () =>
  os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
console.log(
  `node ${process.version}; a ${ENTRIES.toLocaleString('en')}-entry multistatus of ${(bytes.length / 1024 / 1024).toFixed(1)} MiB; best of ${ROUNDS} rounds${global.gc ? '' : ' (run with --expose-gc for steadier figures)'}; load average ${load()}`,
);
if (JSON.stringify(parseMultistatus(xml)) !== JSON.stringify(referenceParseMultistatus(xml)))
  throw new Error('the two parsers read the listing differently');

const rows: Array<[string, () => unknown]> = [
  ['former: validate + tree + namespaces (string)', () => referenceParseMultistatus(xml)],
  ['former, reading the body first', async () => referenceParseMultistatus(await answer(bytes).text())],
  ['streaming: all properties (string)', () => parseMultistatus(xml)],
  ['streaming: the properties files use (string)', () => parseMultistatus(xml, undefined, { props: ENTRY_PROPS })],
  [
    'streaming: files properties, body in 64 KiB chunks',
    async () => {
      let count = 0;
      await eachMultistatusResponse(answer(bytes), 'PROPFIND', PATH, () => count++, { props: ENTRY_PROPS });
      return count;
    },
  ],
  [
    'former + FileEntry of each (files.list before)',
    async () => referenceParseMultistatus(await answer(bytes).text()).map((entry) => toEntry(entry.href, entry.props, 'PROPFIND', PATH)),
  ],
  [
    'streaming + FileEntry of each (files.list now)',
    async () => {
      const entries: FileEntry[] = [];
      await eachMultistatusResponse(
        answer(bytes),
        'PROPFIND',
        PATH,
        (entry) => entries.push(toEntry(entry.href, entry.props, 'PROPFIND', PATH)),
        { props: ENTRY_PROPS },
      );
      return entries;
    },
  ],
];
for (const [label, work] of rows) {
  const { cpu, wall } = await measure(work);
  console.log(
    `${label.padEnd(52)} ${((wall * 1000) / ENTRIES).toFixed(2).padStart(8)} µs/entry   (CPU ${((cpu * 1000) / ENTRIES).toFixed(2)} µs/entry, GC threads included)`,
  );
}
console.log(`load average at the end ${load()}; other load on the machine inflates every figure`);
