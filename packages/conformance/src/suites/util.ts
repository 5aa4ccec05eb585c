import { sizeOf } from '../harness/data.js';

/** Plants NaN, +Inf and -Inf at fixed spots (first, middle, last) of a copy of x. */
export function plantNonFinite(x: Float32Array): Float32Array {
  const y = Float32Array.from(x);
  y[0] = NaN;
  y[Math.floor(y.length / 2)] = Infinity;
  y[y.length - 1] = -Infinity;
  return y;
}

export function largest(...shapes: readonly (readonly number[])[]): number {
  return Math.max(...shapes.map(sizeOf));
}
