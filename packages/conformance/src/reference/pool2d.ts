/**
 * Float64 reference for max and average pooling and their gradients, following the semantics
 * written on Pool2dPlan (PyTorch's): a max window selects its last NaN, else its first maximum, and
 * its gradient goes there; the average divisor optionally counts padded cells.
 */
import type { Pool2dPlan } from '@stridenet/core';

type Values = ArrayLike<number>;

interface Window {
  /** Output index. */
  yi: number;
  /** Input indices of the window cells inside the input, row-major. */
  cells: number[];
  /** Divisor of an average window. */
  divisor: number;
  /** Plane offset and top-left corner of the unclipped window (may lie in the padding). */
  plane: number;
  hs: number;
  ws: number;
}

function windows(p: Pool2dPlan): Window[] {
  const out: Window[] = [];
  for (let nc = 0; nc < p.batch * p.channels; nc++) {
    for (let oh = 0; oh < p.outHeight; oh++) {
      for (let ow = 0; ow < p.outWidth; ow++) {
        const hs = oh * p.strideHeight - p.padTop;
        const ws = ow * p.strideWidth - p.padLeft;
        const he = Math.min(hs + p.windowHeight, p.inHeight + p.padBottom);
        const we = Math.min(ws + p.windowWidth, p.inWidth + p.padRight);
        const padded = (he - hs) * (we - ws);
        const cells: number[] = [];
        for (let ih = Math.max(hs, 0); ih < Math.min(he, p.inHeight); ih++) {
          for (let iw = Math.max(ws, 0); iw < Math.min(we, p.inWidth); iw++) cells.push((nc * p.inHeight + ih) * p.inWidth + iw);
        }
        const yi = (nc * p.outHeight + oh) * p.outWidth + ow;
        out.push({ yi, cells, divisor: p.countIncludePad ? padded : cells.length, plane: nc * p.inHeight * p.inWidth, hs, ws });
      }
    }
  }
  return out;
}

/** Index of the cell a max window selects: the last NaN, else the first maximum. */
function argmax(x: Values, cells: number[]): number {
  const nans = cells.filter((c) => Number.isNaN(x[c]!));
  if (nans.length > 0) return nans[nans.length - 1]!;
  let best = cells[0]!;
  for (const c of cells) if (x[c]! > x[best]!) best = c;
  return best;
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function maxPool2d(x: Values, plan: Pool2dPlan): Float64Array {
  const y = new Float64Array(size(plan.outShape));
  for (const w of windows(plan)) y[w.yi] = x[argmax(x, w.cells)]!;
  return y;
}

export function maxPool2dGrad(dy: Values, x: Values, plan: Pool2dPlan): Float64Array {
  const dx = new Float64Array(size(plan.inShape));
  for (const w of windows(plan)) dx[argmax(x, w.cells)] += dy[w.yi]!;
  return dx;
}

/** MaxPool2DArgmax: y and each window's selected tap kh * windowWidth + kw in the unclipped window (-1: no cell). */
export function maxPool2dArgmax(x: Values, plan: Pool2dPlan): { y: Float64Array; argmax: Float64Array } {
  const y = new Float64Array(size(plan.outShape));
  const taps = new Float64Array(y.length);
  for (const w of windows(plan)) {
    if (w.cells.length === 0) {
      y[w.yi] = -Infinity;
      taps[w.yi] = -1;
      continue;
    }
    const at = argmax(x, w.cells) - w.plane;
    const ih = Math.floor(at / plan.inWidth);
    y[w.yi] = x[at + w.plane]!;
    taps[w.yi] = (ih - w.hs) * plan.windowWidth + (at - ih * plan.inWidth - w.ws);
  }
  return { y, argmax: taps };
}

/** MaxPool2DGradArgmax: dy of each window added to the cell its tap names (codes naming no input cell add nothing). */
export function maxPool2dGradArgmax(dy: Values, taps: Values, plan: Pool2dPlan): Float64Array {
  const dx = new Float64Array(size(plan.inShape));
  for (const w of windows(plan)) {
    const t = taps[w.yi]!;
    if (!Number.isInteger(t) || t < 0 || t >= plan.windowHeight * plan.windowWidth) continue;
    const ih = w.hs + Math.floor(t / plan.windowWidth);
    const iw = w.ws + (t % plan.windowWidth);
    if (ih >= 0 && ih < plan.inHeight && iw >= 0 && iw < plan.inWidth) dx[w.plane + ih * plan.inWidth + iw] += dy[w.yi]!;
  }
  return dx;
}

export function avgPool2d(x: Values, plan: Pool2dPlan): Float64Array {
  const y = new Float64Array(size(plan.outShape));
  for (const w of windows(plan)) {
    let s = 0;
    for (const c of w.cells) s += x[c]!;
    y[w.yi] = s / w.divisor;
  }
  return y;
}

export function avgPool2dGrad(dy: Values, plan: Pool2dPlan): Float64Array {
  const dx = new Float64Array(size(plan.inShape));
  for (const w of windows(plan)) for (const c of w.cells) dx[c] += dy[w.yi]! / w.divisor;
  return dx;
}
