// What /proc says about a process: CPU time and memory. Linux only, which is where the bench runs.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** User + system CPU seconds the process has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may hold spaces and parentheses: the fields start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat(5), the 12th and 13th after the name.
  return (Number(fields[11]) + Number(fields[12])) / clockTicks();
}

function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? Number.NaN);
}

/** Resident memory now, in MB. */
export const rssMb = (pid: number) => statusKb(pid, 'VmRSS') / 1024;

/** Samples the resident memory every `everyMs` until stopped; answers the highest seen (MB). */
export function sampleRss(pid: number, everyMs = 20): { stop(): number } {
  let peak = rssMb(pid);
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssMb(pid));
    } catch {
      // the process is gone
    }
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, rssMb(pid));
    },
  };
}

/** The machine line of the report: CPU model, cores, memory, Node version. */
export function machine(): { cpu: string; cores: number; node: string; line: string } {
  const model = /model name\s*:\s*(.+)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown CPU';
  const cores = os.availableParallelism();
  const node = process.versions.node;
  const memory = `${Math.round(os.totalmem() / 1024 ** 3)} GB RAM`;
  return { cpu: model, cores, node, line: `${model}, ${cores} cores, ${memory}, Node ${node}, ${os.platform()} ${os.release()}` };
}
