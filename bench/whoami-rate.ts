// Figure: whoami calls per second at a fixed concurrency against the simulator (a fast Nextcloud: one OCS call
// answered in-process), and the app process's CPU time per call.
import type { McpSession } from './support/mcp.js';
import { cpuSeconds } from './support/proc.js';
import { drive, percentile } from './support/stats.js';

export interface WhoamiRate {
  calls: number;
  concurrency: number;
  perSecond: number;
  cpuMsPerCall: number;
  p50: number;
  p99: number;
}

export async function measureWhoamiRate(session: McpSession, appPid: number, calls: number, concurrency: number): Promise<WhoamiRate> {
  const call = () => session.call('whoami').then(() => undefined);
  await drive(200, concurrency, call);
  const cpuBefore = cpuSeconds(appPid);
  const run = await drive(calls, concurrency, call);
  const cpu = cpuSeconds(appPid) - cpuBefore;
  return {
    calls,
    concurrency,
    perSecond: calls / run.seconds,
    cpuMsPerCall: (cpu * 1000) / calls,
    p50: percentile(run.sorted, 50),
    p99: percentile(run.sorted, 99),
  };
}

export function printWhoamiRate(rate: WhoamiRate): void {
  console.log(`\nwhoami at concurrency ${rate.concurrency} (${rate.calls} calls, one MCP session)`);
  console.log(
    `  ${Math.round(rate.perSecond)} calls/s, app CPU ${rate.cpuMsPerCall.toFixed(2)} ms per call, p50 ${rate.p50.toFixed(2)} ms, p99 ${rate.p99.toFixed(2)} ms`,
  );
}
