/**
 * Kernel checks against the conformance suite's float64 reference (the one oracle), independent of the test runner so the same list runs under
 * vitest in Node and inside a headless browser page. Shapes are small but chosen to hit the
 * ragged GEMM edges, K blocking (depth > 256), SIMD and scalar pooling paths, groups and dilation.
 */
import {
  planBroadcast,
  planChannel,
  planConcat,
  planConv2d,
  planMatMul,
  planPad,
  planPool2d,
  planReduce,
  planRows,
  planSlice,
  planTranspose,
  type Backend,
  type Conv2dOptions,
  type Pool2dOptions,
  type UnaryOp,
  type BinaryOp,
} from '@stridenet/core';
import * as R from '@stridenet/conformance/reference';

export interface CheckResult {
  name: string;
  maxError: number;
  tolerance: number;
  ok: boolean;
}

/** Deterministic values in [-1, 1) (a small LCG, so browser and Node see the same data). */
export function values(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 2 ** 31 - 1;
  }
  return a;
}

function maxError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) return Infinity;
  let m = 0;
  for (let i = 0; i < got.length; i++) {
    const g = got[i]!, w = want[i]!;
    if (Number.isNaN(w) || Number.isNaN(g)) {
      if (Number.isNaN(w) !== Number.isNaN(g)) return Infinity;
      continue;
    }
    m = Math.max(m, Math.abs(g - w) / (1 + Math.abs(w)));
  }
  return m;
}

export const CONV_CASES: readonly { name: string; x: number[]; f: number[]; o: Conv2dOptions; relu: boolean; bias: boolean }[] = [
  { name: '3x3 same bias relu', x: [2, 5, 9, 11], f: [6, 5, 3, 3], o: { padding: 'same' }, relu: true, bias: true },
  { name: '3x3 stride 2 depth 288', x: [2, 32, 7, 9], f: [10, 32, 3, 3], o: { stride: 2, padding: 1 }, relu: false, bias: true },
  { name: 'dilation 2 groups 2 asymmetric pads', x: [1, 4, 10, 8], f: [6, 2, 3, 2], o: { dilation: 2, groups: 2, padding: [0, 1, 2, 0] }, relu: false, bias: false },
  { name: 'depthwise 3x3 stride 2', x: [2, 6, 11, 11], f: [6, 1, 3, 3], o: { groups: 6, stride: 2, padding: 'same' }, relu: true, bias: true },
  { name: '1x1 spatial 323', x: [2, 3, 17, 19], f: [7, 3, 1, 1], o: {}, relu: false, bias: false },
  { name: '3x3 same spatial 323', x: [2, 3, 17, 19], f: [5, 3, 3, 3], o: { padding: 'same' }, relu: false, bias: false },
  { name: '5x5 valid strides 2x3', x: [3, 2, 13, 16], f: [4, 2, 5, 5], o: { stride: [2, 3] }, relu: false, bias: true },
  // Forward packers (assembly/im2col.ts): runs of stride 1 and 2, blocks of several images or
  // several blocks per image, gathered columns with and without padding, K blocking with runs.
  { name: '3x3 s2 pad 1 runs, images per block', x: [3, 5, 12, 40], f: [6, 5, 3, 3], o: { stride: 2, padding: 1 }, relu: true, bias: true },
  { name: '3x3 same, three blocks per image', x: [1, 4, 23, 29], f: [5, 4, 3, 3], o: { padding: 'same' }, relu: false, bias: true },
  { name: 'dilation 2 pad 2 runs', x: [2, 3, 14, 21], f: [4, 3, 3, 3], o: { dilation: 2, padding: 2 }, relu: false, bias: false },
  { name: '3x3 s3 pad 1 gathered', x: [2, 3, 15, 16], f: [4, 3, 3, 3], o: { stride: 3, padding: 1 }, relu: true, bias: false },
  { name: 'depth 360 runs', x: [2, 40, 9, 10], f: [6, 40, 3, 3], o: { padding: 1 }, relu: false, bias: true },
  { name: '2x2 pads bottom right gathered', x: [2, 3, 5, 6], f: [4, 3, 2, 2], o: { padding: [0, 1, 0, 1] }, relu: false, bias: false },
  { name: '1x1 small images', x: [9, 12, 5, 5], f: [20, 12, 1, 1], o: {}, relu: true, bias: true },
  { name: '3x3 pad 1 rows of 16 (masked)', x: [3, 4, 10, 16], f: [5, 4, 3, 3], o: { padding: 1 }, relu: true, bias: true },
  { name: '3x3 s2 pad 1 rows of 16 (masked)', x: [2, 3, 9, 32], f: [4, 3, 3, 3], o: { stride: 2, padding: 1 }, relu: false, bias: true },
  { name: 'dilation 2 rows of 8 (masked)', x: [2, 3, 12, 12], f: [4, 3, 3, 3], o: { dilation: 2 }, relu: false, bias: false },
  { name: '3x3 pad 1 four blocks per image (masked)', x: [1, 3, 40, 24], f: [4, 3, 3, 3], o: { padding: 1 }, relu: false, bias: true },
  { name: '1x10 pad 9 wide (runs)', x: [2, 2, 3, 23], f: [3, 2, 1, 10], o: { padding: [0, 0, 9, 9] }, relu: false, bias: false },
  // Winograd F(2x2, 3x3) (assembly/winograd.ts): odd output sizes (partial tiles, padded tile rows),
  // valid and asymmetric pads, more than KC input channels, many tiles per block.
  { name: 'Winograd 3x3 pad 1 odd sizes', x: [2, 16, 9, 13], f: [20, 16, 3, 3], o: { padding: 1 }, relu: true, bias: true },
  { name: 'Winograd 3x3 valid', x: [3, 17, 8, 8], f: [16, 17, 3, 3], o: {}, relu: false, bias: true },
  { name: 'Winograd depth 260', x: [1, 260, 6, 10], f: [18, 260, 3, 3], o: { padding: 1 }, relu: false, bias: false },
  { name: 'Winograd pads (1, 0, 0, 1) wide', x: [2, 16, 10, 41], f: [24, 16, 3, 3], o: { padding: [1, 0, 0, 1] }, relu: true, bias: false },
  { name: '1x20 pad right 19 (pieces)', x: [3, 2, 3, 9], f: [2, 2, 1, 20], o: { padding: [0, 0, 0, 19] }, relu: false, bias: true },
];

export const POOL_CASES: readonly { name: string; x: number[]; o: Pool2dOptions }[] = [
  { name: '3x3 s2 same', x: [2, 3, 13, 30], o: { window: 3, stride: 2, padding: 'same' } },
  { name: '2x2 s2 valid', x: [1, 4, 12, 20], o: { window: 2 } },
  { name: '3x3 s1 pad 1 exclude pad', x: [2, 2, 9, 23], o: { window: 3, stride: 1, padding: 1, countIncludePad: false } },
  { name: '3x2 s(2,3) pad 1 ceil', x: [1, 3, 10, 17], o: { window: [3, 2], stride: [2, 3], padding: 1, ceilMode: true } },
  { name: '4x4 s3 ceil include pad', x: [2, 2, 14, 27], o: { window: 4, stride: 3, padding: 2, ceilMode: true } },
  // Separable paths (assembly/pool-rows.ts): long rows for the v128 loops, ragged tails, tall windows.
  { name: '3x3 s2 pad 1 wide', x: [1, 3, 9, 57], o: { window: 3, stride: 2, padding: 1 } },
  { name: '2x2 s2 odd width', x: [1, 2, 7, 45], o: { window: 2, stride: 2 } },
  { name: '4x4 s2 pad 2 exclude pad', x: [1, 2, 11, 38], o: { window: 4, stride: 2, padding: 2, countIncludePad: false } },
  { name: '5x1 s(1,2) ceil', x: [1, 2, 12, 35], o: { window: [5, 1], stride: [1, 2], ceilMode: true } },
  { name: '1x5 s1 pad (0,2)', x: [1, 2, 3, 41], o: { window: [1, 5], stride: 1, padding: [0, 0, 2, 2] } },
  { name: 'global 7x7', x: [2, 3, 7, 7], o: { window: 7 } },
];

/** Unary ops with the domain their inputs are drawn from (log and sqrt need x > 0). */
const UNARY: readonly { op: UnaryOp; positive?: boolean }[] = [
  { op: 'relu' },
  { op: 'leakyRelu' },
  { op: 'elu' },
  { op: 'sigmoid' },
  { op: 'tanh' },
  { op: 'exp' },
  { op: 'log', positive: true },
  { op: 'sqrt', positive: true },
  { op: 'neg' },
  { op: 'square' },
  { op: 'identity' },
];

const BINARY: readonly BinaryOp[] = ['add', 'sub', 'mul', 'div', 'max', 'min', 'equal'];

/** Runs every check on `backend`; `only` limits to names containing one of the strings. */
export function runChecks<H>(backend: Backend<H>, only?: readonly string[]): CheckResult[] {
  const results: CheckResult[] = [];
  const live: H[] = [];
  const k = backend.kernels;
  const up = (v: Float32Array): H => {
    const h = backend.upload(v);
    live.push(h);
    return h;
  };
  const read = (h: H): Float32Array => {
    live.push(h);
    return backend.readSync!(h);
  };
  const check = (name: string, got: ArrayLike<number>, want: ArrayLike<number>, tolerance = 1e-4): void => {
    const e = maxError(got, want);
    results.push({ name, maxError: e, tolerance, ok: e <= tolerance });
  };
  const want = (prefix: string): boolean => !only || only.some((o) => prefix.includes(o));
  let seed = 1;

  if (want('conv')) {
    for (const c of CONV_CASES) {
      const plan = planConv2d(c.x, c.f, c.o);
      const x = values(plan.inShape.reduce((a, b) => a * b), seed++);
      const w = values(plan.filterShape.reduce((a, b) => a * b), seed++);
      const b = c.bias ? values(plan.outChannels, seed++) : null;
      const dy = values(plan.outShape.reduce((a, b) => a * b), seed++);
      const hx = up(x), hw = up(w), hdy = up(dy);
      const y = read(k.Conv2D({ x: hx, filter: hw, bias: b ? up(b) : undefined }, { plan, activation: c.relu ? 'relu' : 'linear' }));
      check(`conv2d ${c.name}`, y, R.conv2d(x, w, b ?? undefined, plan, c.relu ? 'relu' : 'linear'));
      check(`conv2d-backprop-input ${c.name}`, read(k.Conv2DBackpropInput({ dy: hdy, filter: hw }, { plan })), R.conv2dBackpropInput(dy, w, plan));
      check(`conv2d-backprop-filter ${c.name}`, read(k.Conv2DBackpropFilter({ x: hx, dy: hdy }, { plan })), R.conv2dBackpropFilter(x, dy, plan));
    }
  }
  if (want('pool')) {
    for (const c of POOL_CASES) {
      const plan = planPool2d(c.x, c.o);
      const x = values(plan.inShape.reduce((a, b) => a * b), seed++);
      // Ties (quantised values) exercise first-maximum routing; one NaN checks propagation.
      for (let i = 0; i < x.length; i++) x[i] = Math.round(x[i]! * 8) / 8;
      // One NaN per plane, each at a different cell, so SIMD lanes, row edges and scalar paths all meet one.
      const xn = x.slice();
      const planeSize = plan.inHeight * plan.inWidth;
      for (let pl = 0; pl < plan.batch * plan.channels; pl++) xn[pl * planeSize + ((pl * 37 + 11) % planeSize)] = NaN;
      const dy = values(plan.outShape.reduce((a, b) => a * b), seed++);
      const hx = up(x), hxn = up(xn), hdy = up(dy);
      check(`max-pool2d ${c.name}`, read(k.MaxPool2D({ x: hx }, { plan })), R.maxPool2d(x, plan), 0);
      check(`max-pool2d NaN ${c.name}`, read(k.MaxPool2D({ x: hxn }, { plan })), R.maxPool2d(xn, plan), 0);
      check(`max-pool2d-grad ${c.name}`, read(k.MaxPool2DGrad({ dy: hdy, x: hx }, { plan })), R.maxPool2dGrad(dy, x, plan), 1e-6);
      check(`max-pool2d-grad NaN ${c.name}`, read(k.MaxPool2DGrad({ dy: hdy, x: hxn }, { plan })), R.maxPool2dGrad(dy, xn, plan), 1e-6);
      for (const [tag, xs, hxs] of [['', x, hx], [' NaN', xn, hxn]] as const) {
        const [hy, ham] = k.MaxPool2DArgmax({ x: hxs }, { plan });
        const ref = R.maxPool2dArgmax(xs, plan);
        check(`max-pool2d-argmax${tag} ${c.name}`, [...read(hy), ...read(ham)], [...ref.y, ...ref.argmax], 0);
        check(`max-pool2d-grad-argmax${tag} ${c.name}`, read(k.MaxPool2DGradArgmax({ dy: hdy, argmax: ham }, { plan })), R.maxPool2dGrad(dy, xs, plan), 1e-6);
      }
      check(`avg-pool2d ${c.name}`, read(k.AvgPool2D({ x: hx }, { plan })), R.avgPool2d(x, plan), 1e-6);
      check(`avg-pool2d-grad ${c.name}`, read(k.AvgPool2DGrad({ dy: hdy }, { plan })), R.avgPool2dGrad(dy, plan), 1e-6);
    }
  }
  if (want('mat-mul')) {
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const [m, kk, n] = [37, 300, 45];
      const plan = planMatMul(ta ? [kk, m] : [m, kk], tb ? [n, kk] : [kk, n], ta, tb);
      const a = values(m * kk, seed++), b = values(kk * n, seed++), bias = values(n, seed++);
      const relu = ta !== tb;
      const got = read(k.MatMul({ a: up(a), b: up(b), bias: up(bias) }, { plan, activation: relu ? 'relu' : 'linear' }));
      check(`mat-mul tA=${ta} tB=${tb}`, got, R.matMul(a, b, bias, plan, relu ? 'relu' : 'linear'));
    }
    const plan = planMatMul([3, 5], [5, 2]);
    const a = values(15, seed++), b = values(10, seed++);
    check('mat-mul tiny no bias', read(k.MatMul({ a: up(a), b: up(b) }, { plan, activation: 'linear' })), R.matMul(a, b, undefined, plan));
  }
  if (want('bias')) {
    const plan = planChannel('biasAdd', [3, 5, 7], 5);
    const x = values(105, seed++), b = values(5, seed++);
    check('bias-add', read(k.BiasAdd({ x: up(x), bias: up(b) }, { plan })), R.biasAdd(x, b, plan));
    check('bias-add-grad', read(k.BiasAddGrad({ dy: up(x) }, { plan })), R.biasAddGrad(x, plan));
  }
  if (want('binary')) {
    for (const op of BINARY) {
      const same = planBroadcast(op, [4, 9], [4, 9]);
      const a = values(36, seed++), b = values(36, seed++);
      if (op === 'equal') for (let i = 0; i < 36; i += 3) b[i] = a[i]!;
      check(`binary ${op} same`, read(k.Binary({ a: up(a), b: up(b) }, { op, plan: same })), R.binary(op, a, b, same));
      const bc = planBroadcast(op, [2, 3, 1, 5], [3, 4, 1]);
      const x = values(30, seed++), y = values(12, seed++);
      check(`binary ${op} broadcast`, read(k.Binary({ a: up(x), b: up(y) }, { op, plan: bc })), R.binary(op, x, y, bc));
    }
  }
  if (want('unary')) {
    for (const u of UNARY) {
      const x = values(103, seed++).map((v) => (u.positive ? Math.abs(v) + 0.1 : v * 4));
      const alpha = 0.2;
      const y = read(k.Unary({ x: up(x) }, { op: u.op, alpha, size: 103 }));
      const yRef = Float32Array.from(R.unary(u.op, x, alpha));
      check(`unary ${u.op}`, y, R.unary(u.op, x, alpha), 2e-6);
      const dy = values(103, seed++);
      const dx = read(k.UnaryGrad({ dy: up(dy), x: up(x), y: up(yRef) }, { op: u.op, alpha, size: 103 }));
      check(`unary-grad ${u.op}`, dx, R.unaryGrad(u.op, dy, x, yRef, alpha), 2e-6);
    }
  }
  if (want('reduce')) {
    for (const op of ['sum', 'mean', 'max'] as const) {
      const plan = planReduce(3, 7, 10);
      const x = values(210, seed++);
      check(`reduce ${op}`, read(k.Reduce({ x: up(x) }, { op, plan })), R.reduce(op, x, plan), 1e-6);
    }
  }
  if (want('softmax')) {
    const plan = planRows('softmax', [6, 11]);
    const x = values(66, seed++).map((v) => v * 10);
    const labels = values(66, seed++).map((v) => Math.abs(v));
    const dloss = values(6, seed++);
    const hx = up(x), hl = up(labels);
    check('softmax', read(k.Softmax({ x: hx }, { plan, log: false })), R.softmax(x, plan, false), 1e-6);
    check('softmax log', read(k.Softmax({ x: hx }, { plan, log: true })), R.softmax(x, plan, true), 1e-6);
    check('softmax-cross-entropy', read(k.SoftmaxCrossEntropy({ logits: hx, labels: hl }, { plan })), R.softmaxCrossEntropy(x, labels, plan), 1e-5);
    check('softmax-cross-entropy-grad', read(k.SoftmaxCrossEntropyGrad({ dloss: up(dloss), logits: hx, labels: hl }, { plan })), R.softmaxCrossEntropyGrad(dloss, x, labels, plan), 1e-5);
  }
  if (want('batch-norm')) {
    const [outer, C, inner] = [3, 4, 10];
    const plan = planChannel('batchNorm', [outer, C, 2, 5], C);
    const x = values(outer * C * inner, seed++).map((v) => v * 3 + 1);
    const gamma = values(C, seed++), beta = values(C, seed++), dy = values(outer * C * inner, seed++);
    const eps = 1e-5;
    const { y, mean, variance: vr } = R.batchNormTrain(x, gamma, beta, plan, eps);
    const { dx, dgamma: dg, dbeta: dbt } = R.batchNormGrad(dy, x, gamma, mean, vr, plan, eps);
    const hx = up(x), hg = up(gamma), hb = up(beta);
    const [ty, tm, tv] = k.BatchNormTrain({ x: hx, gamma: hg, beta: hb }, { plan, epsilon: eps, activation: 'linear', momentum: 0 });
    check('batch-norm-train y', read(ty), y, 1e-5);
    check('batch-norm-train mean', read(tm), mean, 1e-6);
    check('batch-norm-train variance', read(tv), vr, 1e-6);
    const hm = up(Float32Array.from(mean)), hv = up(Float32Array.from(vr));
    check('batch-norm-inference', read(k.BatchNormInference({ x: hx, gamma: hg, beta: hb, mean: hm, variance: hv }, { plan, epsilon: eps })), y, 1e-5);
    const [gx, gg, gb] = k.BatchNormGrad({ dy: up(dy), x: hx, gamma: hg, mean: hm, variance: hv }, { plan, epsilon: eps, activation: 'linear' });
    check('batch-norm-grad dx', read(gx), dx, 1e-4);
    check('batch-norm-grad dgamma', read(gg), dg, 1e-5);
    check('batch-norm-grad dbeta', read(gb), dbt, 1e-5);
  }
  if (want('dropout')) {
    const x = values(1001, seed++), noise = values(1001, seed++).map((v) => (v + 1) / 2);
    check('dropout', read(k.Dropout({ x: up(x), noise: up(noise) }, { rate: 0.3, size: 1001 })), R.dropout(x, noise, 0.3), 1e-6);
  }
  if (want('layout')) {
    const a = values(2 * 3 * 4, seed++), b = values(2 * 2 * 4, seed++);
    const cp = planConcat([[2, 3, 4], [2, 2, 4]], 1);
    check('concat', read(k.Concat({ xs: [up(a), up(b)] }, { plan: cp })), R.concat([a, b], [[2, 3, 4], [2, 2, 4]], cp), 0);
    const x = values(3 * 4 * 5, seed++);
    const sp = planSlice([3, 4, 5], [1, 1, 2], [2, 2, -1]);
    check('slice', read(k.Slice({ x: up(x) }, { plan: sp })), R.slice(x, sp), 0);
    for (const perm of [[2, 0, 1], [1, 0, 2], [0, 2, 1]]) {
      const tp = planTranspose([3, 4, 5], perm);
      check(`transpose ${perm.join('')}`, read(k.Transpose({ x: up(x) }, { plan: tp })), R.transpose(x, tp), 0);
    }
    const pp = planPad([3, 4, 5], [[1, 0], [0, 2], [2, 1]]);
    check('pad', read(k.Pad({ x: up(x) }, { plan: pp, value: -7 })), R.pad(x, pp, -7), 0);
  }
  if (want('update')) {
    for (const nesterov of [false, true]) {
      const n = 1003;
      const p = values(n, seed++), g = values(n, seed++), v = values(n, seed++);
      const hp = up(p), hv = up(v);
      const attrs = { size: n, lr: 0.1, momentum: 0.9, nesterov, weightDecay: 0.01 };
      k.SgdUpdate({ param: hp, grad: up(g), velocity: hv }, attrs);
      const pw = Float64Array.from(p), vw = Float64Array.from(v);
      R.sgdUpdate(pw, g, vw, attrs);
      check(`sgd-update nesterov=${nesterov} param`, backend.readSync!(hp), pw, 1e-6);
      check(`sgd-update nesterov=${nesterov} velocity`, backend.readSync!(hv), vw, 1e-6);
    }
    for (const decoupled of [false, true]) {
      const n = 1003;
      const p = values(n, seed++), g = values(n, seed++), m = values(n, seed++), v = values(n, seed++).map(Math.abs);
      const hp = up(p), hm = up(m), hv = up(v);
      const a = { size: n, lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.1, decoupled, step: 3 };
      k.AdamUpdate({ param: hp, grad: up(g), m: hm, v: hv }, a);
      const pw = Float64Array.from(p), mw = Float64Array.from(m), vw = Float64Array.from(v);
      R.adamUpdate(pw, g, mw, vw, a);
      check(`adam-update decoupled=${decoupled} param`, backend.readSync!(hp), pw, 1e-5);
      check(`adam-update decoupled=${decoupled} m`, backend.readSync!(hm), mw, 1e-6);
      check(`adam-update decoupled=${decoupled} v`, backend.readSync!(hv), vw, 1e-6);
    }
  }
  for (const h of new Set(live)) backend.free(h);
  return results;
}
