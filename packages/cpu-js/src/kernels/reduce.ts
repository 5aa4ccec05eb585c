import type { KernelFn } from '@stridenet/core';
import { alloc } from '../buffers.js';

/** [outer, reduce, inner] -> [outer, inner], summing in float64; inner is the unit-stride axis, so rows are added whole. */
export const Reduce: KernelFn<Float32Array, 'Reduce'> = ({ x }, { op, plan }) => {
  const { outer, reduce, inner } = plan;
  const y = alloc(outer * inner);
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    const base = o * reduce * inner;
    if (op === 'max') {
      acc.fill(-Infinity);
      for (let r = 0; r < reduce; r++) {
        const row = base + r * inner;
        // Math.max propagates NaN (torch.amax does too).
        for (let i = 0; i < inner; i++) acc[i] = Math.max(acc[i]!, x[row + i]!);
      }
      y.set(acc, o * inner);
    } else if (op === 'sum' || op === 'mean') {
      acc.fill(0);
      for (let r = 0; r < reduce; r++) {
        const row = base + r * inner;
        for (let i = 0; i < inner; i++) acc[i] += x[row + i]!;
      }
      if (op === 'mean') for (let i = 0; i < inner; i++) y[o * inner + i] = acc[i]! / reduce;
      else y.set(acc, o * inner);
    } else {
      throw new Error(`cpu-js Reduce: op is ${JSON.stringify(op)} but expected 'sum', 'mean' or 'max'`);
    }
  }
  return y;
};
