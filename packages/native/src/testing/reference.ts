// Float64 loops used by the unit tests as oracles: direct definitions, no tricks.
import type { Conv2dPlan, MatMulPlan, Pool2dPlan } from '@stridenet/core';

export function random(n: number, seed = 1): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32) * 2 - 1;
  }
  return out;
}

export function conv2dRef(p: Conv2dPlan, x: Float32Array, w: Float32Array, bias?: Float32Array, relu = false): Float64Array {
  const y = new Float64Array(p.batch * p.outChannels * p.outHeight * p.outWidth);
  const cg = p.inChannels / p.groups;
  const og = p.outChannels / p.groups;
  for (let n = 0; n < p.batch; n++)
    for (let o = 0; o < p.outChannels; o++) {
      const g = Math.floor(o / og);
      for (let oh = 0; oh < p.outHeight; oh++)
        for (let ow = 0; ow < p.outWidth; ow++) {
          let s = bias ? bias[o]! : 0;
          for (let c = 0; c < cg; c++)
            for (let kh = 0; kh < p.kernelHeight; kh++)
              for (let kw = 0; kw < p.kernelWidth; kw++) {
                const ih = oh * p.strideHeight - p.padTop + kh * p.dilationHeight;
                const iw = ow * p.strideWidth - p.padLeft + kw * p.dilationWidth;
                if (ih < 0 || ih >= p.inHeight || iw < 0 || iw >= p.inWidth) continue;
                s +=
                  x[((n * p.inChannels + g * cg + c) * p.inHeight + ih) * p.inWidth + iw]! *
                  w[((o * cg + c) * p.kernelHeight + kh) * p.kernelWidth + kw]!;
              }
          y[((n * p.outChannels + o) * p.outHeight + oh) * p.outWidth + ow] = relu ? Math.max(0, s) : s;
        }
    }
  return y;
}

/** Both conv gradients by the adjoint of the forward loop. */
export function conv2dGradRef(p: Conv2dPlan, x: Float32Array, w: Float32Array, dy: Float32Array): { dx: Float64Array; dw: Float64Array } {
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(w.length);
  const cg = p.inChannels / p.groups;
  const og = p.outChannels / p.groups;
  for (let n = 0; n < p.batch; n++)
    for (let o = 0; o < p.outChannels; o++) {
      const g = Math.floor(o / og);
      for (let oh = 0; oh < p.outHeight; oh++)
        for (let ow = 0; ow < p.outWidth; ow++) {
          const d = dy[((n * p.outChannels + o) * p.outHeight + oh) * p.outWidth + ow]!;
          for (let c = 0; c < cg; c++)
            for (let kh = 0; kh < p.kernelHeight; kh++)
              for (let kw = 0; kw < p.kernelWidth; kw++) {
                const ih = oh * p.strideHeight - p.padTop + kh * p.dilationHeight;
                const iw = ow * p.strideWidth - p.padLeft + kw * p.dilationWidth;
                if (ih < 0 || ih >= p.inHeight || iw < 0 || iw >= p.inWidth) continue;
                const xi = ((n * p.inChannels + g * cg + c) * p.inHeight + ih) * p.inWidth + iw;
                const wi = ((o * cg + c) * p.kernelHeight + kh) * p.kernelWidth + kw;
                dx[xi] += d * w[wi]!;
                dw[wi] += d * x[xi]!;
              }
        }
    }
  return { dx, dw };
}

export function matMulRef(p: MatMulPlan, a: Float32Array, b: Float32Array, bias?: Float32Array, relu = false): Float64Array {
  const c = new Float64Array(p.m * p.n);
  for (let i = 0; i < p.m; i++)
    for (let j = 0; j < p.n; j++) {
      let s = bias ? bias[j]! : 0;
      for (let k = 0; k < p.k; k++) {
        const av = p.transposeA ? a[k * p.m + i]! : a[i * p.k + k]!;
        const bv = p.transposeB ? b[j * p.k + k]! : b[k * p.n + j]!;
        s += av * bv;
      }
      c[i * p.n + j] = relu ? Math.max(0, s) : s;
    }
  return c;
}

function windows(p: Pool2dPlan, oh: number, ow: number): { hs: number; ws: number; cells: [number, number][] } {
  const hs = oh * p.strideHeight - p.padTop;
  const ws = ow * p.strideWidth - p.padLeft;
  const cells: [number, number][] = [];
  for (let ih = hs; ih < hs + p.windowHeight; ih++)
    for (let iw = ws; iw < ws + p.windowWidth; iw++) {
      if (ih >= 0 && ih < p.inHeight && iw >= 0 && iw < p.inWidth) cells.push([ih, iw]);
    }
  return { hs, ws, cells };
}

export function poolRef(p: Pool2dPlan, x: Float32Array, kind: 'max' | 'avg'): Float64Array {
  const y = new Float64Array(p.batch * p.channels * p.outHeight * p.outWidth);
  for (let pl = 0; pl < p.batch * p.channels; pl++)
    for (let oh = 0; oh < p.outHeight; oh++)
      for (let ow = 0; ow < p.outWidth; ow++) {
        const { hs, ws, cells } = windows(p, oh, ow);
        const vals = cells.map(([h, w]) => x[(pl * p.inHeight + h) * p.inWidth + w]!);
        let v: number;
        if (kind === 'max') v = vals.some(Number.isNaN) ? NaN : Math.max(...vals);
        else {
          const he = Math.min(hs + p.windowHeight, p.inHeight + p.padBottom);
          const we = Math.min(ws + p.windowWidth, p.inWidth + p.padRight);
          const div = p.countIncludePad ? (he - hs) * (we - ws) : cells.length;
          v = vals.reduce((a, b) => a + b, 0) / div;
        }
        y[(pl * p.outHeight + oh) * p.outWidth + ow] = v;
      }
  return y;
}

export function poolGradRef(p: Pool2dPlan, x: Float32Array, dy: Float32Array, kind: 'max' | 'avg'): Float64Array {
  const dx = new Float64Array(p.batch * p.channels * p.inHeight * p.inWidth);
  for (let pl = 0; pl < p.batch * p.channels; pl++)
    for (let oh = 0; oh < p.outHeight; oh++)
      for (let ow = 0; ow < p.outWidth; ow++) {
        const { hs, ws, cells } = windows(p, oh, ow);
        const d = dy[(pl * p.outHeight + oh) * p.outWidth + ow]!;
        const at = ([h, w]: [number, number]) => (pl * p.inHeight + h) * p.inWidth + w;
        if (kind === 'max') {
          let best = cells[0]!;
          for (const c of cells) {
            const v = x[at(c)]!;
            const bv = x[at(best)]!;
            if (Number.isNaN(bv)) break;
            if (Number.isNaN(v) || v > bv) best = c;
          }
          dx[at(best)] += d;
        } else {
          const he = Math.min(hs + p.windowHeight, p.inHeight + p.padBottom);
          const we = Math.min(ws + p.windowWidth, p.inWidth + p.padRight);
          const div = p.countIncludePad ? (he - hs) * (we - ws) : cells.length;
          for (const c of cells) dx[at(c)] += d / div;
        }
      }
  return dx;
}

/** max |a - b| / (1 + |b|), NaN-aware: both NaN counts as equal. */
export function maxRelError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (Number.isNaN(x) || Number.isNaN(y)) {
      if (Number.isNaN(x) !== Number.isNaN(y)) return Infinity;
      continue;
    }
    if (x === y) continue;
    worst = Math.max(worst, Math.abs(x - y) / (1 + Math.abs(y)));
  }
  return worst;
}
