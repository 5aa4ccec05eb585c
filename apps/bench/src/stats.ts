import { Rng } from '@stridenet/core';

/** Resamples per bootstrap interval: enough for stable 2.5/97.5 percentiles, cheap for 7-30 samples. */
export const BOOTSTRAP_RESAMPLES = 2000;

export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function median(values: readonly number[]): number {
  return quantile([...values].sort((a, b) => a - b), 0.5);
}

/** Indices in [0, n) drawn uniformly from core's counter-based RNG (the same on every machine). */
function indices(rng: Rng, count: number, n: number): Int32Array {
  const u = rng.uniform(count);
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) out[i] = Math.min(n - 1, Math.floor(u[i]! * n));
  return out;
}

/** Medians of `resamples` bootstrap resamples of `samples` (with replacement, same size). */
function bootstrapMedians(samples: readonly number[], rng: Rng, resamples: number): Float64Array {
  const n = samples.length;
  const out = new Float64Array(resamples);
  // One sample (smoke runs, capped cells): every resample is that sample.
  if (n === 1) return out.fill(samples[0]!);
  const buf = new Float64Array(n);
  const idx = indices(rng, resamples * n, n);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) buf[i] = samples[idx[r * n + i]!]!;
    buf.sort();
    out[r] = n % 2 ? buf[(n - 1) / 2]! : (buf[n / 2 - 1]! + buf[n / 2]!) / 2;
  }
  return out;
}

export interface Interval {
  lo: number;
  hi: number;
}

function percentileInterval(values: Float64Array): Interval {
  const sorted = Array.from(values).sort((a, b) => a - b);
  return { lo: quantile(sorted, 0.025), hi: quantile(sorted, 0.975) };
}

/** Percentile bootstrap 95% interval of the median; a single sample gives a zero-width interval. */
export function medianInterval(samples: readonly number[], seed = 1, resamples = BOOTSTRAP_RESAMPLES): Interval {
  if (samples.length === 0) throw new Error('medianInterval: samples is empty but expected at least one value');
  return percentileInterval(bootstrapMedians(samples, new Rng(seed), resamples));
}

/**
 * 95% interval of median(baseline) / median(runner) (the speed of `runner` relative to `baseline`): both
 * sample sets are resampled independently and the ratio of their medians taken per resample.
 */
export function ratioInterval(baseline: readonly number[], runner: readonly number[], seed = 1, resamples = BOOTSTRAP_RESAMPLES): Interval {
  if (baseline.length === 0 || runner.length === 0) throw new Error('ratioInterval: a sample set is empty but expected at least one value each');
  const rng = new Rng(seed);
  const b = bootstrapMedians(baseline, rng, resamples);
  const r = bootstrapMedians(runner, rng, resamples);
  const ratios = new Float64Array(resamples);
  for (let i = 0; i < resamples; i++) ratios[i] = b[i]! / r[i]!;
  return percentileInterval(ratios);
}

/** A ratio whose interval holds 1.0 is not a measured difference. */
export function isTie(interval: Interval): boolean {
  return interval.lo <= 1 && interval.hi >= 1;
}

/** Fisher-Yates shuffle driven by a seeded Rng (a new order per repetition, the same on every rerun). */
export function shuffled<T>(items: readonly T[], rng: Rng): T[] {
  const out = [...items];
  const u = rng.uniform(out.length);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.min(i, Math.floor(u[i]! * (i + 1)));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
