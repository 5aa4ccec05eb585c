import type { KernelFn, Pool2dPlan } from '@stridenet/core';
import { alloc } from '../buffers.js';
import { windowBounds } from './max-pool2d.js';

/**
 * 1 / divisor of every output cell, PyTorch's rule: with countIncludePad the window is clipped only
 * to the padded input (he = min(hs + window, inHeight + padBottom)); otherwise to the input itself.
 */
export function reciprocalDivisors(plan: Pool2dPlan): Float64Array {
  const { outHeight: OH, outWidth: OW } = plan;
  const r = new Float64Array(OH * OW);
  const { h0, h1, w0, w1 } = windowBounds(plan);
  for (let oh = 0; oh < OH; oh++) {
    const hs = oh * plan.strideHeight - plan.padTop;
    const he = Math.min(hs + plan.windowHeight, plan.inHeight + plan.padBottom);
    for (let ow = 0; ow < OW; ow++) {
      const ws = ow * plan.strideWidth - plan.padLeft;
      const we = Math.min(ws + plan.windowWidth, plan.inWidth + plan.padRight);
      const count = plan.countIncludePad ? (he - hs) * (we - ws) : (h1[oh]! - h0[oh]!) * (w1[ow]! - w0[ow]!);
      r[oh * OW + ow] = count > 0 ? 1 / count : NaN;
    }
  }
  return r;
}

export const AvgPool2D: KernelFn<Float32Array, 'AvgPool2D'> = ({ x }, { plan }) => {
  const { batch, channels, inHeight: H, inWidth: W, outHeight: OH, outWidth: OW } = plan;
  const y = alloc(batch * channels * OH * OW);
  const { h0, h1, w0, w1 } = windowBounds(plan);
  const inv = reciprocalDivisors(plan);
  let o = 0;
  for (let nc = 0; nc < batch * channels; nc++) {
    const plane = nc * H * W;
    for (let oh = 0; oh < OH; oh++) {
      const a = h0[oh]!;
      const b = h1[oh]!;
      for (let ow = 0; ow < OW; ow++, o++) {
        const c0 = w0[ow]!;
        const c1 = w1[ow]!;
        let sum = 0;
        for (let ih = a; ih < b; ih++) {
          const row = plane + ih * W;
          for (let i = row + c0, end = row + c1; i < end; i++) sum += x[i]!;
        }
        y[o] = sum * inv[oh * OW + ow]!;
      }
    }
  }
  return y;
};
