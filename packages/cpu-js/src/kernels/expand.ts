import type { KernelFn } from '@stridenet/core';
import { alloc } from '../buffers.js';

/**
 * Walks the output one last-axis run at a time: a run either copies a contiguous run of x (stride 1)
 * or repeats one value (stride 0); a counter per outer axis moves the read position.
 */
export const Expand: KernelFn<Float32Array, 'Expand'> = ({ x }, { plan }) => {
  const e = plan.encoded;
  const rank = e[0]!;
  const size = e[1]!;
  const y = alloc(size);
  const last = rank - 1;
  const run = e[2 + last]!;
  const repeat = e[8 + last] === 0;
  const idx = new Int32Array(rank);
  let src = 0;
  for (let o = 0; o < size; o += run) {
    if (repeat) y.fill(x[src]!, o, o + run);
    else y.set(x.subarray(src, src + run), o);
    for (let d = last - 1; d >= 0; d--) {
      idx[d]! += 1;
      src += e[8 + d]!;
      if (idx[d]! < e[2 + d]!) break;
      src -= e[8 + d]! * e[2 + d]!;
      idx[d] = 0;
    }
  }
  return y;
};
