// Latency statistics and a fixed-concurrency driver shared by the figures.
import { performance } from 'node:perf_hooks';

export interface Latencies {
  /** Milliseconds, sorted ascending. */
  sorted: number[];
  /** Wall-clock seconds the whole run took. */
  seconds: number;
}

/** The p-th percentile (nearest rank) of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function median(values: readonly number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

/** Runs `work` `count` times with `concurrency` of them in flight, timing each. */
export async function drive(count: number, concurrency: number, work: (index: number) => Promise<void>): Promise<Latencies> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const index = next++;
        const t0 = performance.now();
        await work(index);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { sorted: latencies.sort((a, b) => a - b), seconds: (performance.now() - started) / 1000 };
}

export const ms = (value: number) => `${value.toFixed(2)} ms`;
export const ratio = (value: number) => `${value.toFixed(2)}×`;
