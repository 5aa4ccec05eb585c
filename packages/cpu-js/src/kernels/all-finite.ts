import type { KernelFn } from '@stridenet/core';
import { alloc } from '../buffers.js';

/** [1]: 1 when no listed value is NaN or ±Inf, else 0; stops at the first non-finite value. */
export const AllFinite: KernelFn<Float32Array, 'AllFinite'> = ({ xs }, { plan }) => {
  const y = alloc(1);
  y[0] = plan.sizes.every((size, i) => {
    const x = xs[i]!;
    for (let j = 0; j < size; j++) if (!Number.isFinite(x[j]!)) return false;
    return true;
  })
    ? 1
    : 0;
  return y;
};
