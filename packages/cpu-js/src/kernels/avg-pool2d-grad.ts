import type { KernelFn } from '@stridenet/core';
import { alloc } from '../buffers.js';
import { reciprocalDivisors } from './avg-pool2d.js';
import { windowBounds } from './max-pool2d.js';

/** Spreads dy / divisor over the input cells of each window (padded cells take no gradient). */
export const AvgPool2DGrad: KernelFn<Float32Array, 'AvgPool2DGrad'> = ({ dy }, { plan }) => {
  const { batch, channels, inHeight: H, inWidth: W, outHeight: OH, outWidth: OW } = plan;
  const dx = alloc(batch * channels * H * W);
  const { h0, h1, w0, w1 } = windowBounds(plan);
  const inv = reciprocalDivisors(plan);
  let o = 0;
  for (let nc = 0; nc < batch * channels; nc++) {
    const plane = nc * H * W;
    for (let oh = 0; oh < OH; oh++) {
      const a = h0[oh]!;
      const b = h1[oh]!;
      for (let ow = 0; ow < OW; ow++, o++) {
        const g = dy[o]! * inv[oh * OW + ow]!;
        const c0 = w0[ow]!;
        const c1 = w1[ow]!;
        for (let ih = a; ih < b; ih++) {
          const row = plane + ih * W;
          for (let i = row + c0, end = row + c1; i < end; i++) dx[i] += g;
        }
      }
    }
  }
  return dx;
};
