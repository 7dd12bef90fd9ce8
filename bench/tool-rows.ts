// Figure: each tool's tools/call latency next to the very requests it sends Nextcloud, sent straight to the
// simulator with the same concurrency. The ratio is what the app adds on top of Nextcloud.
import { performance } from 'node:perf_hooks';
import type { McpSession } from './support/mcp.js';
import type { RecordedRequest } from './support/recording-proxy.js';
import { labelOf, replay } from './support/recording-proxy.js';
import { drive, percentile, ratio } from './support/stats.js';

export const TOOL_CASES: ReadonlyArray<{ name: string; args: Record<string, unknown> }> = [
  { name: 'files_list', args: { path: '/Documents' } },
  { name: 'files_read', args: { path: '/Readme.md' } },
  { name: 'calendar_list_events', args: {} },
  { name: 'talk_read_messages', args: { token: 'apollo42x' } },
  { name: 'files_list_versions', args: { path: '/Documents/Notes.txt' } },
  { name: 'contacts_search', args: { query: 'wonderland' } },
  { name: 'tasks_list', args: {} },
  { name: 'notes_list', args: {} },
  { name: 'deck_get_board', args: { boardId: 1 } },
];

const signature = (sequence: readonly RecordedRequest[]) => sequence.map(labelOf).join(' | ');

/**
 * The requests one warm call of the tool sends (caches filled by earlier calls): of a few calls, the sequence most of
 * them sent, so a background refresh that happened to fall into one call does not count.
 */
export async function recordSequence(
  call: () => Promise<unknown>,
  capture: (work: () => Promise<unknown>) => Promise<RecordedRequest[]>,
): Promise<RecordedRequest[]> {
  await call();
  await call();
  const seen: RecordedRequest[][] = [];
  for (let round = 0; round < 5; round++) seen.push(await capture(call));
  const counts = new Map<string, number>();
  for (const sequence of seen) counts.set(signature(sequence), (counts.get(signature(sequence)) ?? 0) + 1);
  const [common] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]!;
  const sequence = seen.find((candidate) => signature(candidate) === common)!;
  if (sequence.length === 0) throw new Error('the tool sent Nextcloud nothing');
  return sequence;
}

export interface ToolRow {
  tool: string;
  requests: number;
  sequence: string[];
  tool50: number;
  tool99: number;
  direct50: number;
  direct99: number;
}

/**
 * Times `calls` tool calls and as many replays of its sequence. Each worker alternates between the two (tool first,
 * then replay first), so load from elsewhere on the machine falls on both alike.
 */
export async function measureToolRow(
  session: McpSession,
  simUrl: string,
  tool: { name: string; args: Record<string, unknown> },
  sequence: readonly RecordedRequest[],
  calls: number,
  concurrency: number,
): Promise<ToolRow> {
  const viaApp = () => session.call(tool.name, tool.args).then(() => undefined);
  const straight = () => replay(simUrl, sequence);
  const app: number[] = [];
  const direct: number[] = [];
  const timed = async (work: () => Promise<void>, into: number[]) => {
    const t0 = performance.now();
    await work();
    into.push(performance.now() - t0);
  };
  const pair = async (index: number, record: boolean) => {
    const [first, second] =
      index % 2 === 0
        ? ([
            [viaApp, app],
            [straight, direct],
          ] as const)
        : ([
            [straight, direct],
            [viaApp, app],
          ] as const);
    await timed(first[0], record ? first[1] : []);
    await timed(second[0], record ? second[1] : []);
  };
  // Warm both paths: connections, JIT, the simulator's caches.
  await drive(Math.max(20, concurrency * 4), concurrency, (index) => pair(index, false));
  await drive(calls, concurrency, (index) => pair(index, true));
  app.sort((a, b) => a - b);
  direct.sort((a, b) => a - b);
  return {
    tool: tool.name,
    requests: sequence.length,
    sequence: sequence.map(labelOf),
    tool50: percentile(app, 50),
    tool99: percentile(app, 99),
    direct50: percentile(direct, 50),
    direct99: percentile(direct, 99),
  };
}

export function printToolRows(rows: readonly ToolRow[], calls: number, concurrency: number): void {
  console.log(
    `\ntools/call vs the same Nextcloud requests sent directly (${calls} each, concurrency ${concurrency}, one MCP session, JSON answers)`,
  );
  console.log(
    `${'tool'.padEnd(22)} ${'requests'.padStart(8)}   ${'tool p50'.padStart(9)} ${'p99'.padStart(8)}   ${'direct p50'.padStart(10)} ${'p99'.padStart(8)}   ${'ratio p50'.padStart(9)} ${'p99'.padStart(7)}`,
  );
  for (const row of rows) {
    console.log(
      `${row.tool.padEnd(22)} ${String(row.requests).padStart(8)}   ${row.tool50.toFixed(2).padStart(9)} ${row.tool99.toFixed(2).padStart(8)}   ${row.direct50.toFixed(2).padStart(10)} ${row.direct99.toFixed(2).padStart(8)}   ${ratio(row.tool50 / row.direct50).padStart(9)} ${ratio(row.tool99 / row.direct99).padStart(7)}`,
    );
  }
  console.log('(ms; requests = how many requests one call sends Nextcloud, in this order:)');
  for (const row of rows) console.log(`  ${row.tool}: ${row.sequence.join(', ')}`);
}
