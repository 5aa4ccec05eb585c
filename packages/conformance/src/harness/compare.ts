/**
 * The tolerance rule: a float32 result a is compared with the float64 oracle r by the normalised
 * error max_i |a_i - r_i| / (max_i |r_i| + 1e-6), over the finite entries of r. Non-finite entries
 * must match exactly: NaN where r is NaN, the same infinity where r is infinite.
 */
export interface Comparison {
  error: number;
  /** Index of the worst entry (or of the first non-finite mismatch). */
  index: number;
  /** Set when a NaN/Inf entry does not match. */
  nonFinite?: string;
}

export function compare(actual: ArrayLike<number>, expected: ArrayLike<number>): Comparison {
  if (actual.length !== expected.length) {
    return { error: Infinity, index: -1, nonFinite: `length ${actual.length} but expected ${expected.length}` };
  }
  let scale = 0;
  for (let i = 0; i < expected.length; i++) if (Number.isFinite(expected[i]!)) scale = Math.max(scale, Math.abs(expected[i]!));
  let worst = 0;
  let index = -1;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const r = expected[i]!;
    if (!Number.isFinite(r)) {
      if (Number.isNaN(r) ? !Number.isNaN(a) : a !== r) return { error: Infinity, index: i, nonFinite: `entry ${i} is ${a} but expected ${r}` };
      continue;
    }
    const e = Number.isNaN(a) ? Infinity : Math.abs(a - r);
    if (e > worst || index < 0) {
      worst = e;
      index = i;
    }
  }
  return { error: worst / (scale + 1e-6), index };
}

export class ToleranceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToleranceError';
  }
}

let observer: ((error: number, tolerance: number) => void) | undefined;

/** Receives every normalised error expectClose measures (the runner records the worst per check). */
export function observeErrors(fn: ((error: number, tolerance: number) => void) | undefined): void {
  observer = fn;
}

/** Throws with the worst entry named when the normalised error exceeds `tolerance`. */
export function expectClose(what: string, actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number): number {
  const c = compare(actual, expected);
  observer?.(c.error, tolerance);
  if (c.nonFinite) throw new ToleranceError(`${what}: ${c.nonFinite}`);
  if (!(c.error <= tolerance)) {
    throw new ToleranceError(
      `${what}: normalised error ${c.error.toExponential(3)} exceeds ${tolerance} ` +
        `(entry ${c.index}: got ${actual[c.index]}, expected ${expected[c.index]}, ${actual.length} entries)`,
    );
  }
  return c.error;
}
