/**
 * Waiting for a process's own threads to go idle before a timed batch (measure.ts MeasureOptions.settle).
 * A module of its own, free of the harness's other imports, so that a runner's child process (the ONNX
 * Runtime child, runners/onnx-child.ts) settles its own threads with the same rule.
 */

/** Clocks of `settle` (injectable for tests). */
export interface SettleClock {
  /** CPU time of every thread of this process, ms. */
  cpuMs(): number;
  nowMs(): number;
  sleep(ms: number): Promise<void>;
}

const processClock: SettleClock = {
  cpuMs: () => {
    const c = process.cpuUsage();
    return (c.user + c.system) / 1e3;
  },
  nowMs: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * Waits until this process used less than `busyFraction` of one core over a `windowMs` window (its
 * main thread sleeps meanwhile, so what is counted is other threads: spinning pool workers), at most
 * `maxMs`. Returns the milliseconds waited. Child processes are not seen here: the PyTorch runner
 * pauses after its own batches, and the ONNX Runtime child settles before and after each of its batches.
 */
export async function settle(o: { maxMs?: number; windowMs?: number; busyFraction?: number } = {}, clock: SettleClock = processClock): Promise<number> {
  const maxMs = o.maxMs ?? 300;
  const windowMs = o.windowMs ?? 10;
  const busy = o.busyFraction ?? 0.1;
  const t0 = clock.nowMs();
  for (;;) {
    const c0 = clock.cpuMs();
    const w0 = clock.nowMs();
    await clock.sleep(windowMs);
    const used = clock.cpuMs() - c0;
    const elapsed = clock.nowMs() - w0;
    if (used < busy * Math.max(elapsed, windowMs) || clock.nowMs() - t0 >= maxMs) return clock.nowMs() - t0;
  }
}
