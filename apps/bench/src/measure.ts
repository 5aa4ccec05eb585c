import type { Prepared } from './runners/types.js';

export interface MeasureOptions {
  /** Each repetition runs iterations for at least this long (seconds). */
  minTime: number;
  /** Repetitions (at least 5 outside smoke mode). */
  reps: number;
  /** Stop adding repetitions once a cell has used this many seconds (never below minReps). */
  maxCellSeconds?: number;
  minReps?: number;
}

export interface Timing {
  /** First call: compile, pipeline creation, lazy allocation, caches (ms). */
  firstRunMs: number;
  /** Iterations per repetition after calibration. */
  iterations: number;
  reps: number;
  /** Milliseconds per iteration, one value per repetition. */
  samplesMs: number[];
  medianMs: number;
  minMs: number;
  maxMs: number;
  p90Ms: number;
  /** Repetitions were cut short by maxCellSeconds. */
  capped: boolean;
  peakRssBytes: number;
  peakBackendBytes: number;
}

export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** First run apart, one warm-up call, calibration to minTime, then repetitions. */
export async function measure(p: Prepared, o: MeasureOptions, onRep?: (rep: number, reps: number) => void): Promise<Timing> {
  let peakRss = await p.rss();
  let peakBytes = p.backendBytes();
  const sample = async (): Promise<void> => {
    peakRss = Math.max(peakRss, await p.rss());
    peakBytes = Math.max(peakBytes, p.backendBytes());
  };
  const cellStart = performance.now();
  const firstRunMs = (await p.runIterations(1)) * 1000;
  await sample();
  if (o.maxCellSeconds !== undefined && firstRunMs / 1000 > o.maxCellSeconds) {
    // One call already used the budget: report it as the only sample, flagged, instead of minutes more.
    return { firstRunMs, iterations: 1, reps: 1, samplesMs: [firstRunMs], medianMs: firstRunMs, minMs: firstRunMs, maxMs: firstRunMs, p90Ms: firstRunMs, capped: true, peakRssBytes: peakRss, peakBackendBytes: peakBytes };
  }
  const warm = await p.runIterations(1);
  await sample();
  const iterations = Math.max(1, Math.min(100_000, Math.ceil(o.minTime / Math.max(warm, 1e-7))));
  const samples: number[] = [];
  const minReps = Math.min(o.reps, o.minReps ?? 3);
  let capped = false;
  for (let r = 0; r < o.reps; r++) {
    if (o.maxCellSeconds !== undefined && r >= minReps && (performance.now() - cellStart) / 1000 > o.maxCellSeconds) {
      capped = true;
      break;
    }
    const s = await p.runIterations(iterations);
    samples.push((s * 1000) / iterations);
    await sample();
    onRep?.(r + 1, o.reps);
  }
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    firstRunMs,
    iterations,
    reps: samples.length,
    samplesMs: samples,
    medianMs: quantile(sorted, 0.5),
    minMs: sorted[0]!,
    maxMs: sorted[sorted.length - 1]!,
    p90Ms: quantile(sorted, 0.9),
    capped,
    peakRssBytes: peakRss,
    peakBackendBytes: peakBytes,
  };
}
