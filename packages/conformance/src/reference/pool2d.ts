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
        out.push({ yi: (nc * p.outHeight + oh) * p.outWidth + ow, cells, divisor: p.countIncludePad ? padded : cells.length });
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
