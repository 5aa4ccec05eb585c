/**
 * Float64 loops written straight from the definitions in @stridenet/core's spec and plans; the
 * WGSL kernels are checked against these (in Node and in the browser test).
 */
import type {
  BinaryOp,
  BroadcastPlan,
  ChannelPlan,
  Conv2dPlan,
  MatMulPlan,
  PadPlan,
  Pool2dPlan,
  ReducePlan,
  ReduceOp,
  RowsPlan,
  SlicePlan,
  TransposePlan,
  UnaryOp,
} from '@stridenet/core';

type Arr = ArrayLike<number>;

export function conv2d(x: Arr, w: Arr, bias: Arr | null, p: Conv2dPlan, relu = false): Float64Array {
  const cg = p.inChannels / p.groups;
  const mg = p.outChannels / p.groups;
  const y = new Float64Array(p.batch * p.outChannels * p.outHeight * p.outWidth);
  for (let n = 0; n < p.batch; n++)
    for (let oc = 0; oc < p.outChannels; oc++) {
      const g = Math.floor(oc / mg);
      for (let oy = 0; oy < p.outHeight; oy++)
        for (let ox = 0; ox < p.outWidth; ox++) {
          let s = bias ? bias[oc]! : 0;
          for (let c = 0; c < cg; c++)
            for (let ky = 0; ky < p.kernelHeight; ky++)
              for (let kx = 0; kx < p.kernelWidth; kx++) {
                const iy = oy * p.strideHeight - p.padTop + ky * p.dilationHeight;
                const ix = ox * p.strideWidth - p.padLeft + kx * p.dilationWidth;
                if (iy < 0 || iy >= p.inHeight || ix < 0 || ix >= p.inWidth) continue;
                s +=
                  x[((n * p.inChannels + g * cg + c) * p.inHeight + iy) * p.inWidth + ix]! *
                  w[((oc * cg + c) * p.kernelHeight + ky) * p.kernelWidth + kx]!;
              }
          y[((n * p.outChannels + oc) * p.outHeight + oy) * p.outWidth + ox] = relu && s < 0 ? 0 : s;
        }
    }
  return y;
}

/** Both conv gradients by scattering each output cell's contribution. */
export function conv2dGrads(x: Arr, w: Arr, dy: Arr, p: Conv2dPlan): { dx: Float64Array; dw: Float64Array } {
  const cg = p.inChannels / p.groups;
  const mg = p.outChannels / p.groups;
  const dx = new Float64Array(p.batch * p.inChannels * p.inHeight * p.inWidth);
  const dw = new Float64Array(p.outChannels * cg * p.kernelHeight * p.kernelWidth);
  for (let n = 0; n < p.batch; n++)
    for (let oc = 0; oc < p.outChannels; oc++) {
      const g = Math.floor(oc / mg);
      for (let oy = 0; oy < p.outHeight; oy++)
        for (let ox = 0; ox < p.outWidth; ox++) {
          const d = dy[((n * p.outChannels + oc) * p.outHeight + oy) * p.outWidth + ox]!;
          for (let c = 0; c < cg; c++)
            for (let ky = 0; ky < p.kernelHeight; ky++)
              for (let kx = 0; kx < p.kernelWidth; kx++) {
                const iy = oy * p.strideHeight - p.padTop + ky * p.dilationHeight;
                const ix = ox * p.strideWidth - p.padLeft + kx * p.dilationWidth;
                if (iy < 0 || iy >= p.inHeight || ix < 0 || ix >= p.inWidth) continue;
                const xi = ((n * p.inChannels + g * cg + c) * p.inHeight + iy) * p.inWidth + ix;
                const wi = ((oc * cg + c) * p.kernelHeight + ky) * p.kernelWidth + kx;
                dx[xi]! += d * w[wi]!;
                dw[wi]! += d * x[xi]!;
              }
        }
    }
  return { dx, dw };
}

function windows(p: Pool2dPlan, oy: number, ox: number) {
  const hs = oy * p.strideHeight - p.padTop;
  const ws = ox * p.strideWidth - p.padLeft;
  const h0 = Math.max(hs, 0);
  const h1 = Math.min(hs + p.windowHeight, p.inHeight);
  const w0 = Math.max(ws, 0);
  const w1 = Math.min(ws + p.windowWidth, p.inWidth);
  const count = p.countIncludePad
    ? (Math.min(hs + p.windowHeight, p.inHeight + p.padBottom) - hs) * (Math.min(ws + p.windowWidth, p.inWidth + p.padRight) - ws)
    : (h1 - h0) * (w1 - w0);
  return { h0, h1, w0, w1, count };
}

/** Forward and backward pooling; `mode` picks max (last NaN, else first maximum) or average. */
export function pool2d(x: Arr, dy: Arr | null, p: Pool2dPlan, mode: 'max' | 'avg'): { y: Float64Array; dx: Float64Array } {
  const y = new Float64Array(p.batch * p.channels * p.outHeight * p.outWidth);
  const dx = new Float64Array(p.batch * p.channels * p.inHeight * p.inWidth);
  for (let plane = 0; plane < p.batch * p.channels; plane++) {
    const base = plane * p.inHeight * p.inWidth;
    for (let oy = 0; oy < p.outHeight; oy++)
      for (let ox = 0; ox < p.outWidth; ox++) {
        const o = (plane * p.outHeight + oy) * p.outWidth + ox;
        const { h0, h1, w0, w1, count } = windows(p, oy, ox);
        const g = dy ? dy[o]! : 0;
        if (mode === 'max') {
          let best = -Infinity;
          let at = -1;
          for (let iy = h0; iy < h1; iy++)
            for (let ix = w0; ix < w1; ix++) {
              const i = base + iy * p.inWidth + ix;
              const v = x[i]!;
              if (Number.isNaN(v)) {
                best = v;
                at = i;
                continue;
              }
              if (at < 0 || (v > best && !Number.isNaN(best))) {
                best = v;
                at = i;
              }
            }
          y[o] = best;
          if (at >= 0) dx[at]! += g;
        } else {
          let s = 0;
          for (let iy = h0; iy < h1; iy++)
            for (let ix = w0; ix < w1; ix++) {
              s += x[base + iy * p.inWidth + ix]!;
              dx[base + iy * p.inWidth + ix]! += g / count;
            }
          y[o] = s / count;
        }
      }
  }
  return { y, dx };
}

export function matMul(a: Arr, b: Arr, bias: Arr | null, p: MatMulPlan, relu = false): Float64Array {
  const c = new Float64Array(p.m * p.n);
  for (let i = 0; i < p.m; i++)
    for (let j = 0; j < p.n; j++) {
      let s = bias ? bias[j]! : 0;
      for (let k = 0; k < p.k; k++) {
        const av = p.transposeA ? a[k * p.m + i]! : a[i * p.k + k]!;
        const bv = p.transposeB ? b[j * p.k + k]! : b[k * p.n + j]!;
        s += av * bv;
      }
      c[i * p.n + j] = relu && s < 0 ? 0 : s;
    }
  return c;
}

export function biasAdd(x: Arr, bias: Arr, p: ChannelPlan): Float64Array {
  return Float64Array.from({ length: x.length }, (_, i) => x[i]! + bias[Math.floor(i / p.inner) % p.channels]!);
}

export function channelSum(dy: Arr, p: ChannelPlan): Float64Array {
  const s = new Float64Array(p.channels);
  for (let i = 0; i < dy.length; i++) s[Math.floor(i / p.inner) % p.channels]! += dy[i]!;
  return s;
}

export function binary(a: Arr, b: Arr, op: BinaryOp, p: BroadcastPlan): Float64Array {
  const y = new Float64Array(p.size);
  for (let i = 0; i < p.size; i++) {
    let rest = i;
    let ia = 0;
    let ib = 0;
    for (let d = p.rank - 1; d >= 0; d--) {
      const idx = rest % p.outShape[d]!;
      rest = Math.floor(rest / p.outShape[d]!);
      ia += idx * p.aStrides[d]!;
      ib += idx * p.bStrides[d]!;
    }
    const u = a[ia]!;
    const v = b[ib]!;
    y[i] = { add: u + v, sub: u - v, mul: u * v, div: u / v, max: Math.max(u, v), min: Math.min(u, v), equal: u === v ? 1 : 0 }[op];
  }
  return y;
}

export function unary(x: number, op: UnaryOp, alpha: number): number {
  switch (op) {
    case 'relu':
      return x < 0 ? 0 : x;
    case 'leakyRelu':
      return x > 0 ? x : alpha * x;
    case 'elu':
      return x > 0 ? x : alpha * Math.expm1(x);
    case 'sigmoid':
      return 1 / (1 + Math.exp(-x));
    case 'tanh':
      return Math.tanh(x);
    case 'exp':
      return Math.exp(x);
    case 'log':
      return Math.log(x);
    case 'sqrt':
      return Math.sqrt(x);
    case 'neg':
      return -x;
    case 'square':
      return x * x;
    case 'identity':
      return x;
  }
}

export function unaryGrad(dy: number, x: number, y: number, op: UnaryOp, alpha: number): number {
  const d = {
    relu: x > 0 ? 1 : 0,
    leakyRelu: x > 0 ? 1 : alpha,
    elu: x > 0 ? 1 : y + alpha,
    sigmoid: y * (1 - y),
    tanh: 1 - y * y,
    exp: y,
    log: 1 / x,
    sqrt: 0.5 / y,
    neg: -1,
    square: 2 * x,
    identity: 1,
  }[op];
  return dy * d;
}

export function reduce(x: Arr, op: ReduceOp, p: ReducePlan): Float64Array {
  const y = new Float64Array(p.outer * p.inner);
  for (let o = 0; o < p.outer; o++)
    for (let i = 0; i < p.inner; i++) {
      let acc = op === 'max' ? -Infinity : 0;
      for (let r = 0; r < p.reduce; r++) {
        const v = x[(o * p.reduce + r) * p.inner + i]!;
        acc = op === 'max' ? (Number.isNaN(v) || v > acc ? v : acc) : acc + v;
        if (Number.isNaN(acc)) break;
      }
      y[o * p.inner + i] = op === 'mean' ? acc / p.reduce : acc;
    }
  return y;
}

function rowStats(x: Arr, row: number, cols: number): { max: number; lse: number } {
  let max = -Infinity;
  for (let j = 0; j < cols; j++) max = Math.max(max, x[row * cols + j]!);
  let s = 0;
  for (let j = 0; j < cols; j++) s += Math.exp(x[row * cols + j]! - max);
  return { max, lse: max + Math.log(s) };
}

export function softmax(x: Arr, p: RowsPlan, log: boolean): Float64Array {
  const y = new Float64Array(p.rows * p.cols);
  for (let r = 0; r < p.rows; r++) {
    const { lse } = rowStats(x, r, p.cols);
    for (let j = 0; j < p.cols; j++) y[r * p.cols + j] = log ? x[r * p.cols + j]! - lse : Math.exp(x[r * p.cols + j]! - lse);
  }
  return y;
}

export function softmaxCrossEntropy(logits: Arr, labels: Arr, p: RowsPlan): Float64Array {
  const y = new Float64Array(p.rows);
  for (let r = 0; r < p.rows; r++) {
    const { lse } = rowStats(logits, r, p.cols);
    let s = 0;
    for (let j = 0; j < p.cols; j++) s -= labels[r * p.cols + j]! * (logits[r * p.cols + j]! - lse);
    y[r] = s;
  }
  return y;
}

export function softmaxCrossEntropyGrad(dloss: Arr, logits: Arr, labels: Arr, p: RowsPlan): Float64Array {
  const y = new Float64Array(p.rows * p.cols);
  for (let r = 0; r < p.rows; r++) {
    const { lse } = rowStats(logits, r, p.cols);
    let ls = 0;
    for (let j = 0; j < p.cols; j++) ls += labels[r * p.cols + j]!;
    for (let j = 0; j < p.cols; j++) {
      const k = r * p.cols + j;
      y[k] = dloss[r]! * (ls * Math.exp(logits[k]! - lse) - labels[k]!);
    }
  }
  return y;
}

export function batchNormStats(x: Arr, p: ChannelPlan): { mean: Float64Array; variance: Float64Array } {
  const n = p.outer * p.inner;
  const mean = channelSum(x, p).map((s) => s / n);
  const variance = new Float64Array(p.channels);
  for (let i = 0; i < x.length; i++) {
    const c = Math.floor(i / p.inner) % p.channels;
    variance[c]! += (x[i]! - mean[c]!) ** 2 / n;
  }
  return { mean, variance };
}

export function batchNormApply(x: Arr, gamma: Arr, beta: Arr, mean: Arr, variance: Arr, p: ChannelPlan, eps: number): Float64Array {
  return Float64Array.from({ length: x.length }, (_, i) => {
    const c = Math.floor(i / p.inner) % p.channels;
    return (gamma[c]! * (x[i]! - mean[c]!)) / Math.sqrt(variance[c]! + eps) + beta[c]!;
  });
}

export function batchNormGrad(dy: Arr, x: Arr, gamma: Arr, mean: Arr, variance: Arr, p: ChannelPlan, eps: number) {
  const n = p.outer * p.inner;
  const dbeta = channelSum(dy, p);
  const dgamma = new Float64Array(p.channels);
  const ch = (i: number) => Math.floor(i / p.inner) % p.channels;
  const xhat = (i: number) => (x[i]! - mean[ch(i)]!) / Math.sqrt(variance[ch(i)]! + eps);
  for (let i = 0; i < x.length; i++) dgamma[ch(i)]! += dy[i]! * xhat(i);
  const dx = Float64Array.from({ length: x.length }, (_, i) => {
    const c = ch(i);
    return ((gamma[c]! / Math.sqrt(variance[c]! + eps)) * (n * dy[i]! - dbeta[c]! - xhat(i) * dgamma[c]!)) / n;
  });
  return { dx, dgamma, dbeta };
}

export function slice(x: Arr, p: SlicePlan): Float64Array {
  const size = p.outShape.reduce((a, b) => a * b, 1);
  return Float64Array.from({ length: size }, (_, i) => {
    let rest = i;
    let src = 0;
    let stride = 1;
    for (let d = p.rank - 1; d >= 0; d--) {
      const idx = rest % p.outShape[d]!;
      rest = Math.floor(rest / p.outShape[d]!);
      src += (idx + p.begin[d]!) * stride;
      stride *= p.inShape[d]!;
    }
    return x[src]!;
  });
}

export function transpose(x: Arr, p: TransposePlan): Float64Array {
  const inStrides = p.inShape.map((_, d) => p.inShape.slice(d + 1).reduce((a, b) => a * b, 1));
  const size = x.length;
  return Float64Array.from({ length: size }, (_, i) => {
    let rest = i;
    let src = 0;
    for (let d = p.rank - 1; d >= 0; d--) {
      const dim = p.outShape[d]!;
      src += (rest % dim) * inStrides[p.perm[d]!]!;
      rest = Math.floor(rest / dim);
    }
    return x[src]!;
  });
}

export function pad(x: Arr, p: PadPlan, value: number): Float64Array {
  const size = p.outShape.reduce((a, b) => a * b, 1);
  return Float64Array.from({ length: size }, (_, i) => {
    let rest = i;
    let src = 0;
    let stride = 1;
    for (let d = p.rank - 1; d >= 0; d--) {
      const idx = (rest % p.outShape[d]!) - p.before[d]!;
      rest = Math.floor(rest / p.outShape[d]!);
      if (idx < 0 || idx >= p.inShape[d]!) return value;
      src += idx * stride;
      stride *= p.inShape[d]!;
    }
    return x[src]!;
  });
}
