import type { KernelFn, Pool2dPlan } from '@stridenet/core';
import { alloc } from '../buffers.js';

/**
 * Index (within the input) of the value a max-pool window picks: the first maximum in row-major
 * window order, or the first NaN (PyTorch propagates NaN). -1 for a window with no input cell.
 * Shared with MaxPool2DGrad so forward and backward agree on ties.
 */
export function windowArgmax(
  x: Float32Array,
  plane: number,
  W: number,
  h0: number,
  h1: number,
  w0: number,
  w1: number,
): number {
  let best = -Infinity;
  let at = -1;
  for (let ih = h0; ih < h1; ih++) {
    const row = plane + ih * W;
    for (let i = row + w0, end = row + w1; i < end; i++) {
      const v = x[i]!;
      if (v > best || at < 0) {
        best = v;
        at = i;
      }
      if (v !== v) return i;
    }
  }
  return at;
}

/** Clipped window bounds per output row / column, computed once per plan (no bounds tests in the inner loops). */
export function windowBounds(plan: Pool2dPlan): { h0: Int32Array; h1: Int32Array; w0: Int32Array; w1: Int32Array } {
  const h0 = new Int32Array(plan.outHeight);
  const h1 = new Int32Array(plan.outHeight);
  const w0 = new Int32Array(plan.outWidth);
  const w1 = new Int32Array(plan.outWidth);
  for (let oh = 0; oh < plan.outHeight; oh++) {
    const hs = oh * plan.strideHeight - plan.padTop;
    h0[oh] = Math.max(hs, 0);
    h1[oh] = Math.min(hs + plan.windowHeight, plan.inHeight);
  }
  for (let ow = 0; ow < plan.outWidth; ow++) {
    const ws = ow * plan.strideWidth - plan.padLeft;
    w0[ow] = Math.max(ws, 0);
    w1[ow] = Math.min(ws + plan.windowWidth, plan.inWidth);
  }
  return { h0, h1, w0, w1 };
}

export const MaxPool2D: KernelFn<Float32Array, 'MaxPool2D'> = ({ x }, { plan }) => {
  const { batch, channels, inHeight: H, inWidth: W, outHeight: OH, outWidth: OW } = plan;
  const y = alloc(batch * channels * OH * OW);
  const { h0, h1, w0, w1 } = windowBounds(plan);
  let o = 0;
  for (let nc = 0; nc < batch * channels; nc++) {
    const plane = nc * H * W;
    for (let oh = 0; oh < OH; oh++) {
      const a = h0[oh]!;
      const b = h1[oh]!;
      for (let ow = 0; ow < OW; ow++, o++) {
        const at = windowArgmax(x, plane, W, a, b, w0[ow]!, w1[ow]!);
        y[o] = at < 0 ? -Infinity : x[at]!;
      }
    }
  }
  return y;
};
