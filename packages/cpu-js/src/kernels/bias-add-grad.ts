import type { KernelFn } from '@stridenet/core';
import { alloc } from '../buffers.js';

export const BiasAddGrad: KernelFn<Float32Array, 'BiasAddGrad'> = ({ dy }, { plan }) => {
  const { outer, channels, inner } = plan;
  const acc = new Float64Array(channels);
  let i = 0;
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      let s = 0;
      for (const end = i + inner; i < end; i++) s += dy[i]!;
      acc[c] += s;
    }
  }
  const db = alloc(channels);
  db.set(acc);
  return db;
};
