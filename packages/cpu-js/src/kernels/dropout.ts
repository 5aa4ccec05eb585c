import type { KernelFn } from '@stridenet/core';
import { alloc } from '../buffers.js';

export const Dropout: KernelFn<Float32Array, 'Dropout'> = ({ x, noise }, { rate, size }) => {
  const y = alloc(size);
  const keep = 1 - rate;
  for (let i = 0; i < size; i++) y[i] = noise[i]! >= rate ? x[i]! / keep : 0;
  return y;
};
