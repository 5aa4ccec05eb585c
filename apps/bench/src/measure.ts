import os from 'node:os';
import type { Prepared } from './runners/types.js';
import { settle } from './settle.js';
import { medianInterval, quantile } from './stats.js';

export { quantile } from './stats.js';
export { settle, type SettleClock } from './settle.js';

export interface MeasureOptions {
  /** Each repetition runs iterations for at least this long (seconds). */
  minTime: number;
  /** Repetitions (7 by default outside smoke mode). */
  reps: number;
  /** Stop adding repetitions once a cell has used this many seconds (never below minReps, default 7). */
  maxCellSeconds?: number;
  minReps?: number;
  /**
   * Before each timed batch, wait (untimed) until this process's threads are idle: a thread pool that
   * spins after its work (ONNX Runtime's workers burn 30-60 ms of CPU after each run on this project's
   * 2-vCPU machines) would otherwise hold a core during the next runner's repetition. Runners in child
   * processes settle their own (settle.ts).
   */
  settle?: boolean;
}

export interface Timing {
  /** First call: compile, pipeline creation, lazy allocation, caches (ms). */
  firstRunMs: number;
  /** Iterations per repetition after calibration. */
  iterations: number;
  reps: number;
  /** Milliseconds per iteration, one value per repetition, in the order they ran. */
  samplesMs: number[];
  medianMs: number;
  minMs: number;
  maxMs: number;
  p90Ms: number;
  /** Percentile-bootstrap 95% interval of the median (ms). */
  ci95Ms: [number, number];
  /** Repetitions were cut short by maxCellSeconds. */
  capped: boolean;
  peakRssBytes: number;
  peakBackendBytes: number;
  /** 1-minute load average when the cell's first and last repetition ran: other work skews figures. */
  loadAverage: [number, number];
}

/** The longest calibration: iterations grow until one batch lasts minTime, but never beyond this. */
const MAX_ITERATIONS = 100_000;

const load1 = (): number => Math.round(os.loadavg()[0]! * 100) / 100;

/**
 * One (workload, runner) cell, timed repetition by repetition so that the harness can interleave
 * cells of different runners: `start` runs the first call apart and calibrates the iteration count
 * until one batch lasts at least minTime; `rep` runs one repetition; `timing` summarises.
 */
export class CellTimer {
  private readonly samples: number[] = [];
  private iterations = 1;
  private firstRunMs = 0;
  private capped = false;
  private done = false;
  private started = 0;
  private peakRss = 0;
  private peakBytes = 0;
  private loadStart = 0;

  constructor(
    private readonly p: Prepared,
    private readonly o: MeasureOptions,
  ) {}

  private async sample(): Promise<void> {
    this.peakRss = Math.max(this.peakRss, await this.p.rss());
    this.peakBytes = Math.max(this.peakBytes, this.p.backendBytes());
  }

  private overBudget(): boolean {
    return this.o.maxCellSeconds !== undefined && (performance.now() - this.started) / 1000 > this.o.maxCellSeconds;
  }

  async start(): Promise<void> {
    this.started = performance.now();
    this.loadStart = load1();
    await this.sample();
    if (this.o.settle) await settle();
    this.firstRunMs = (await this.p.runIterations(1)) * 1000;
    await this.sample();
    if (this.o.maxCellSeconds !== undefined && this.firstRunMs / 1000 > this.o.maxCellSeconds) {
      // One call already used the budget: it is the only sample, flagged, instead of minutes more.
      this.samples.push(this.firstRunMs);
      this.capped = true;
      this.done = true;
      return;
    }
    // Calibrate on the real batch, not one warm-up call: a single call can be much faster or slower
    // than the same call in a loop (caches, thread wake-up), which left some repetitions at 30 ms.
    let n = 1;
    for (;;) {
      const s = await this.p.runIterations(n);
      if (s >= this.o.minTime || n >= MAX_ITERATIONS || this.overBudget()) break;
      const grow = Math.ceil((n * this.o.minTime * 1.05) / Math.max(s, 1e-7));
      n = Math.min(MAX_ITERATIONS, Math.max(n + 1, Math.min(grow, n * 100)));
    }
    this.iterations = n;
    await this.sample();
  }

  get count(): number {
    return this.samples.length;
  }

  /** Whether another repetition is wanted (reps not reached, budget not spent). */
  wantsMore(): boolean {
    if (this.done || this.samples.length >= this.o.reps) return false;
    // --max-cell-seconds never cuts a cell below 7 repetitions (the statistics need them); it bounds
    // cells asked for more, and a first call that alone exceeds it (the only sample then, capped).
    const minReps = Math.min(this.o.reps, this.o.minReps ?? 7);
    if (this.samples.length >= minReps && this.overBudget()) {
      this.capped = true;
      return false;
    }
    return true;
  }

  async rep(): Promise<void> {
    if (this.o.settle) await settle();
    const s = await this.p.runIterations(this.iterations);
    this.samples.push((s * 1000) / this.iterations);
    await this.sample();
  }

  timing(): Timing {
    const sorted = [...this.samples].sort((a, b) => a - b);
    const ci = medianInterval(this.samples);
    return {
      firstRunMs: this.firstRunMs,
      iterations: this.iterations,
      reps: this.samples.length,
      samplesMs: [...this.samples],
      medianMs: quantile(sorted, 0.5),
      minMs: sorted[0]!,
      maxMs: sorted[sorted.length - 1]!,
      p90Ms: quantile(sorted, 0.9),
      ci95Ms: [ci.lo, ci.hi],
      capped: this.capped,
      peakRssBytes: this.peakRss,
      peakBackendBytes: this.peakBytes,
      loadAverage: [this.loadStart, load1()],
    };
  }
}

/** All repetitions of one cell back to back (no interleaving): for tests and single-runner use. */
export async function measure(p: Prepared, o: MeasureOptions, onRep?: (rep: number, reps: number) => void): Promise<Timing> {
  const cell = new CellTimer(p, o);
  await cell.start();
  while (cell.wantsMore()) {
    await cell.rep();
    onRep?.(cell.count, o.reps);
  }
  return cell.timing();
}
