import { expect } from 'vitest';

/** Deterministic values in [-1, 1) (a small LCG; tests must not depend on Math.random). */
export function rand(size: number, seed = 1): Float32Array {
  const out = new Float32Array(size);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** Max |a - b| / (atol + rtol |b|) <= 1, NaN only where expected is NaN. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(e)) {
      if (!Number.isNaN(a)) expect.fail(`index ${i}: got ${a} but expected NaN`);
      continue;
    }
    if (a === e) continue;
    if (!(Math.abs(a - e) <= tol * (1 + Math.abs(e)))) expect.fail(`index ${i}: got ${a} but expected ${e}`);
  }
}
