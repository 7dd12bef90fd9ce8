// Figure: every page of files_list over a 10,000-entry folder against one raw PROPFIND (Depth 1) of that folder,
// and how far the app's resident memory rises meanwhile.
import { performance } from 'node:perf_hooks';
import type { McpSession } from './support/mcp.js';
import { rssMb, sampleRss } from './support/proc.js';
import type { RecordedRequest } from './support/recording-proxy.js';
import { replay } from './support/recording-proxy.js';
import { median } from './support/stats.js';
import { MAX_LIST_PAGE } from '../src/tools/files/list.js';

/** files_list's largest page (the maximum of its `limit`); BENCH_BIG_FOLDER_PAGE_SIZE=50 lists with its default. */
export const PAGE_SIZE = Number(process.env.BENCH_BIG_FOLDER_PAGE_SIZE ?? MAX_LIST_PAGE);

export interface BigFolder {
  /** Entries listed, and how many the folder holds. */
  entries: number;
  total: number;
  /** Pages listed, and how many the whole listing takes. */
  pages: number;
  allPages: number;
  /** Time for every page: measured, or extrapolated from the pages listed when the budget ran out first. */
  listMs: number;
  propfindMs: number;
  rssBefore: number;
  rssPeak: number;
}

/** The PROPFIND of the folder itself among the requests a files_list call sent: the one with the largest answer. */
export function folderPropfind(sequence: readonly RecordedRequest[]): RecordedRequest {
  const propfinds = sequence.filter((request) => request.method === 'PROPFIND' && request.headers.depth === '1');
  if (propfinds.length === 0) throw new Error('files_list sent no PROPFIND with Depth 1');
  return propfinds.reduce((largest, request) => (request.responseBytes > largest.responseBytes ? request : largest));
}

/**
 * Lists the folder page by page, following nextOffset, as a client would. When the listing takes longer than
 * `budgetSeconds` it stops there and the time for every page is extrapolated from the pages listed (each page then
 * costs about the same, or the listing would not be that slow).
 */
export async function measureBigFolder(
  session: McpSession,
  simUrl: string,
  appPid: number,
  folder: string,
  propfind: RecordedRequest,
  budgetSeconds: number,
): Promise<BigFolder> {
  const raw: number[] = [];
  for (let round = 0; round < 3; round++) {
    const t0 = performance.now();
    await replay(simUrl, [propfind]);
    raw.push(performance.now() - t0);
  }
  const rssBefore = rssMb(appPid);
  const sampler = sampleRss(appPid);
  const t0 = performance.now();
  let offset: number | undefined = 0;
  let pages = 0;
  let entries = 0;
  let total = 0;
  while (offset !== undefined && performance.now() - t0 < budgetSeconds * 1000) {
    const answer = await session.call('files_list', { path: folder, limit: PAGE_SIZE, offset });
    const page = answer.structuredContent as { entries: unknown[]; total: number; nextOffset?: number };
    pages++;
    entries += page.entries.length;
    total = page.total;
    offset = page.nextOffset;
  }
  const elapsed = performance.now() - t0;
  const rssPeak = sampler.stop();
  const allPages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  return { entries, total, pages, allPages, listMs: (elapsed / pages) * allPages, propfindMs: median(raw), rssBefore, rssPeak };
}

export function printBigFolder(result: BigFolder): void {
  const partial = result.pages < result.allPages ? ` (extrapolated: the time budget ended the listing after ${result.pages} pages)` : '';
  console.log(
    `\n${result.total.toLocaleString('en')}-entry folder: every page of files_list (${result.allPages} pages of ${PAGE_SIZE}) vs one raw PROPFIND Depth 1`,
  );
  console.log(
    `  files_list ${result.listMs.toFixed(0)} ms in all${partial}, ${(result.listMs / result.allPages).toFixed(1)} ms a page; PROPFIND ${result.propfindMs.toFixed(0)} ms: ${(result.listMs / result.propfindMs).toFixed(1)}×; ` +
      `app RSS ${result.rssBefore.toFixed(0)} MB before, peak ${result.rssPeak.toFixed(0)} MB (+${(result.rssPeak - result.rssBefore).toFixed(0)} MB)`,
  );
}
