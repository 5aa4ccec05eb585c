import type { KernelFn } from '@stridenet/core';
import { alloc } from '../buffers.js';

/** max and log(sum(exp(x - max))) of one row, in float64. */
export function rowLogSumExp(x: Float32Array, at: number, cols: number): [max: number, lse: number] {
  let max = -Infinity;
  for (let j = 0; j < cols; j++) max = Math.max(max, x[at + j]!);
  let sum = 0;
  for (let j = 0; j < cols; j++) sum += Math.exp(x[at + j]! - max);
  return [max, Math.log(sum)];
}

export const Softmax: KernelFn<Float32Array, 'Softmax'> = ({ x }, { plan, log }) => {
  const { rows, cols } = plan;
  const y = alloc(rows * cols);
  for (let r = 0; r < rows; r++) {
    const at = r * cols;
    const [max, lse] = rowLogSumExp(x, at, cols);
    if (log) for (let j = 0; j < cols; j++) y[at + j] = x[at + j]! - max - lse;
    else {
      const inv = Math.exp(-lse);
      for (let j = 0; j < cols; j++) y[at + j] = Math.exp(x[at + j]! - max) * inv;
    }
  }
  return y;
};
