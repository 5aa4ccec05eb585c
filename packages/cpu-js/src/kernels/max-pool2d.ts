import type { KernelFn, Pool2dPlan } from '@stridenet/core';
import { alloc } from '../buffers.js';

/**
 * Index (within the input) of the value a max-pool window picks, scanning its cells in row-major order:
 * the last NaN if the window holds one, else the first maximum (PyTorch's rule, see Pool2dPlan).
 * -1 for a window with no input cell. Shared with MaxPool2DGrad so forward and backward agree.
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
      // v > NaN is false, so once best is NaN only a later NaN moves it.
      if (v > best || at < 0 || v !== v) {
        best = v;
        at = i;
      }
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

/** 2x2 windows at stride 2 that all lie inside the input (the common CNN pool): no clipping needed. */
export function isPlain2x2(plan: Pool2dPlan): boolean {
  return (
    plan.windowHeight === 2 &&
    plan.windowWidth === 2 &&
    plan.strideHeight === 2 &&
    plan.strideWidth === 2 &&
    plan.padTop === 0 &&
    plan.padLeft === 0 &&
    2 * plan.outHeight <= plan.inHeight &&
    2 * plan.outWidth <= plan.inWidth
  );
}

/** windowArgmax for a full 2x2 window at input index i (same last-NaN / first-maximum rule). */
export function argmax2x2(x: Float32Array, i: number, W: number): number {
  let at = i;
  let best = x[i]!;
  // Unrolled (the hot path of most CNNs): v > NaN is false, so after a NaN only a later NaN moves `at`.
  let j = i + 1;
  let v = x[j]!;
  if (v > best || v !== v) {
    best = v;
    at = j;
  }
  j = i + W;
  v = x[j]!;
  if (v > best || v !== v) {
    best = v;
    at = j;
  }
  j = i + W + 1;
  v = x[j]!;
  if (v > best || v !== v) at = j;
  return at;
}

export const MaxPool2D: KernelFn<Float32Array, 'MaxPool2D'> = ({ x }, { plan }) => {
  const { batch, channels, inHeight: H, inWidth: W, outHeight: OH, outWidth: OW } = plan;
  const y = alloc(batch * channels * OH * OW);
  if (isPlain2x2(plan)) {
    let o = 0;
    for (let nc = 0; nc < batch * channels; nc++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0, i = (nc * H + 2 * oh) * W; ow < OW; ow++, o++, i += 2) y[o] = x[argmax2x2(x, i, W)]!;
      }
    }
    return y;
  }
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
