import type { KernelFn } from '@stridenet/core';
import { alloc } from '../buffers.js';

/** Per outer index, input i contributes one contiguous block of blockSizes[i] values. */
export const Concat: KernelFn<Float32Array, 'Concat'> = ({ xs }, { plan }) => {
  const { outer, blockSizes } = plan;
  let row = 0;
  for (const b of blockSizes) row += b;
  const y = alloc(outer * row);
  let at = 0;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < xs.length; i++) {
      const b = blockSizes[i]!;
      y.set(xs[i]!.subarray(o * b, (o + 1) * b), at);
      at += b;
    }
  }
  return y;
};
