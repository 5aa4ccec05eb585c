/**
 * Float64 reference loops, written straight from the plan definitions in @stridenet/core, with no
 * blocking or vectorisation, so a wrong index in the wasm kernels cannot be mirrored here.
 */
import type { Conv2dPlan, MatMulPlan, Pool2dPlan } from '@stridenet/core';

type Arr = ArrayLike<number>;

export function conv2dRef(x: Arr, w: Arr, bias: Arr | null, p: Conv2dPlan, relu: boolean): Float64Array {
  const y = new Float64Array(p.batch * p.outChannels * p.outHeight * p.outWidth);
  const cg = p.inChannels / p.groups;
  const mg = p.outChannels / p.groups;
  for (let n = 0; n < p.batch; n++)
    for (let co = 0; co < p.outChannels; co++) {
      const g = Math.floor(co / mg);
      for (let oh = 0; oh < p.outHeight; oh++)
        for (let ow = 0; ow < p.outWidth; ow++) {
          let s = bias ? bias[co]! : 0;
          for (let c = 0; c < cg; c++)
            for (let kh = 0; kh < p.kernelHeight; kh++)
              for (let kw = 0; kw < p.kernelWidth; kw++) {
                const ih = oh * p.strideHeight - p.padTop + kh * p.dilationHeight;
                const iw = ow * p.strideWidth - p.padLeft + kw * p.dilationWidth;
                if (ih < 0 || ih >= p.inHeight || iw < 0 || iw >= p.inWidth) continue;
                s +=
                  x[((n * p.inChannels + g * cg + c) * p.inHeight + ih) * p.inWidth + iw]! *
                  w[((co * cg + c) * p.kernelHeight + kh) * p.kernelWidth + kw]!;
              }
          y[((n * p.outChannels + co) * p.outHeight + oh) * p.outWidth + ow] = relu ? Math.max(s, 0) : s;
        }
    }
  return y;
}

/** Visits every (input index, filter index, output index) triple of a convolution. */
function convTriples(p: Conv2dPlan, f: (xi: number, wi: number, yi: number) => void): void {
  const cg = p.inChannels / p.groups;
  const mg = p.outChannels / p.groups;
  for (let n = 0; n < p.batch; n++)
    for (let co = 0; co < p.outChannels; co++) {
      const g = Math.floor(co / mg);
      for (let oh = 0; oh < p.outHeight; oh++)
        for (let ow = 0; ow < p.outWidth; ow++)
          for (let c = 0; c < cg; c++)
            for (let kh = 0; kh < p.kernelHeight; kh++)
              for (let kw = 0; kw < p.kernelWidth; kw++) {
                const ih = oh * p.strideHeight - p.padTop + kh * p.dilationHeight;
                const iw = ow * p.strideWidth - p.padLeft + kw * p.dilationWidth;
                if (ih < 0 || ih >= p.inHeight || iw < 0 || iw >= p.inWidth) continue;
                f(
                  ((n * p.inChannels + g * cg + c) * p.inHeight + ih) * p.inWidth + iw,
                  ((co * cg + c) * p.kernelHeight + kh) * p.kernelWidth + kw,
                  ((n * p.outChannels + co) * p.outHeight + oh) * p.outWidth + ow,
                );
              }
    }
}

export function conv2dBackpropInputRef(dy: Arr, w: Arr, p: Conv2dPlan): Float64Array {
  const dx = new Float64Array(p.batch * p.inChannels * p.inHeight * p.inWidth);
  convTriples(p, (xi, wi, yi) => (dx[xi] += dy[yi]! * w[wi]!));
  return dx;
}

export function conv2dBackpropFilterRef(x: Arr, dy: Arr, p: Conv2dPlan): Float64Array {
  const dw = new Float64Array(p.filterShape.reduce((a, b) => a * b, 1));
  convTriples(p, (xi, wi, yi) => (dw[wi] += dy[yi]! * x[xi]!));
  return dw;
}

function poolWindows(p: Pool2dPlan, f: (plane: number, oi: number, cells: number[], divisor: number) => void): void {
  for (let pl = 0; pl < p.batch * p.channels; pl++)
    for (let oh = 0; oh < p.outHeight; oh++)
      for (let ow = 0; ow < p.outWidth; ow++) {
        const hs = oh * p.strideHeight - p.padTop;
        const ws = ow * p.strideWidth - p.padLeft;
        const cells: number[] = [];
        for (let ih = hs; ih < hs + p.windowHeight; ih++)
          for (let iw = ws; iw < ws + p.windowWidth; iw++)
            if (ih >= 0 && ih < p.inHeight && iw >= 0 && iw < p.inWidth) cells.push(pl * p.inHeight * p.inWidth + ih * p.inWidth + iw);
        const he = Math.min(hs + p.windowHeight, p.inHeight + p.padBottom);
        const we = Math.min(ws + p.windowWidth, p.inWidth + p.padRight);
        const divisor = p.countIncludePad ? (he - hs) * (we - ws) : cells.length;
        f(pl, (pl * p.outHeight + oh) * p.outWidth + ow, cells, divisor);
      }
}

export function maxPoolRef(x: Arr, p: Pool2dPlan): Float64Array {
  const y = new Float64Array(p.batch * p.channels * p.outHeight * p.outWidth);
  poolWindows(p, (_pl, oi, cells) => {
    let m = -Infinity;
    for (const c of cells) m = Number.isNaN(x[c]!) || Number.isNaN(m) ? NaN : Math.max(m, x[c]!);
    y[oi] = m;
  });
  return y;
}

export function maxPoolGradRef(dy: Arr, x: Arr, p: Pool2dPlan): Float64Array {
  const dx = new Float64Array(p.batch * p.channels * p.inHeight * p.inWidth);
  poolWindows(p, (_pl, oi, cells) => {
    // The last NaN, else the first maximum (PyTorch).
    let best = -1;
    for (const c of cells) {
      if (best < 0 || Number.isNaN(x[c]!)) best = c;
      else if (x[c]! > x[best]!) best = c;
    }
    if (best >= 0) dx[best] += dy[oi]!;
  });
  return dx;
}

export function avgPoolRef(x: Arr, p: Pool2dPlan): Float64Array {
  const y = new Float64Array(p.batch * p.channels * p.outHeight * p.outWidth);
  poolWindows(p, (_pl, oi, cells, div) => {
    let s = 0;
    for (const c of cells) s += x[c]!;
    y[oi] = s / div;
  });
  return y;
}

export function avgPoolGradRef(dy: Arr, p: Pool2dPlan): Float64Array {
  const dx = new Float64Array(p.batch * p.channels * p.inHeight * p.inWidth);
  poolWindows(p, (_pl, oi, cells, div) => {
    for (const c of cells) dx[c] += dy[oi]! / div;
  });
  return dx;
}

export function matMulRef(a: Arr, b: Arr, bias: Arr | null, p: MatMulPlan, relu: boolean): Float64Array {
  const c = new Float64Array(p.m * p.n);
  for (let i = 0; i < p.m; i++)
    for (let j = 0; j < p.n; j++) {
      let s = 0;
      for (let k = 0; k < p.k; k++) {
        const av = p.transposeA ? a[k * p.m + i]! : a[i * p.k + k]!;
        const bv = p.transposeB ? b[j * p.k + k]! : b[k * p.n + j]!;
        s += av * bv;
      }
      if (bias) s += bias[j]!;
      c[i * p.n + j] = relu ? Math.max(s, 0) : s;
    }
  return c;
}
