import type { KernelFn } from '@stridenet/core';
import { alloc } from '../buffers.js';

export const BiasAdd: KernelFn<Float32Array, 'BiasAdd'> = ({ x, bias }, { plan }) => {
  const { outer, channels, inner } = plan;
  const y = alloc(outer * channels * inner);
  let i = 0;
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const b = bias[c]!;
      for (const end = i + inner; i < end; i++) y[i] = x[i]! + b;
    }
  }
  return y;
};
