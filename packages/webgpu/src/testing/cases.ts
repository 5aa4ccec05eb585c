/**
 * Kernel checks against the conformance suite's float64 reference (the one oracle), written once and run both by vitest in
 * Node (kernels.test.ts) and in headless chromium (browser/run.ts). Each case uploads its inputs,
 * runs one or two kernels, reads back, compares and frees everything it allocated.
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
  type BinaryOp,
  type Conv2dOptions,
  type Pool2dOptions,
  type UnaryOp,
} from '@stridenet/core';
import type { WebGpuBackend } from '../backend.js';
import type { WebGpuHandle } from '../runtime.js';
import * as R from '@stridenet/conformance/reference';

export interface KernelCase {
  name: string;
  group: 'conv' | 'pool' | 'matmul' | 'elementwise' | 'reduce' | 'norm' | 'layout' | 'optimizer';
  run(b: WebGpuBackend): Promise<void>;
}

/** Deterministic values in [lo, hi) (xorshift32), so failures reproduce. */
export function randomValues(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = (seed * 2654435761) >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = lo + ((s >>> 8) / 16777216) * (hi - lo);
  }
  return out;
}

/** Throws a message naming the case, the first bad index, and both values. */
export function expectClose(name: string, got: ArrayLike<number>, want: ArrayLike<number>, atol = 1e-4, rtol = 1e-4): void {
  if (got.length !== want.length) throw new Error(`${name}: got ${got.length} values, expected ${want.length}`);
  for (let i = 0; i < got.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    if (Number.isNaN(w) ? Number.isNaN(g) : g === w || Math.abs(g - w) <= atol + rtol * Math.abs(w)) continue;
    throw new Error(`${name}: index ${i} is ${g}, expected ${w} (atol ${atol}, rtol ${rtol})`);
  }
}

/** Uploads inputs, runs `body`, reads what it returns, frees all handles. */
async function withTensors(
  b: WebGpuBackend,
  inputs: Float32Array[],
  body: (hs: WebGpuHandle[]) => WebGpuHandle | WebGpuHandle[],
): Promise<Float32Array[]> {
  const hs = inputs.map((v) => b.upload(v));
  const out = body(hs);
  const outs = Array.isArray(out) ? out : [out];
  try {
    return await Promise.all(outs.map((h) => b.read(h)));
  } finally {
    for (const h of [...hs, ...outs]) b.free(h);
  }
}

const size = (s: readonly number[]) => s.reduce((a, c) => a * c, 1);

function convCase(name: string, inShape: number[], filterShape: number[], opts: Conv2dOptions, withBias = true): KernelCase {
  return {
    name: `conv2d ${name}`,
    group: 'conv',
    async run(b) {
      const plan = planConv2d(inShape, filterShape, opts);
      const x = randomValues(size(inShape), 1);
      const w = randomValues(size(filterShape), 2);
      const bias = randomValues(filterShape[0]!, 3);
      const dy = randomValues(size(plan.outShape), 4);
      const [y, yr] = await withTensors(b, [x, w, bias], ([hx, hw, hb]) => [
        b.kernels.Conv2D({ x: hx!, filter: hw!, ...(withBias ? { bias: hb! } : {}) }, { plan, activation: 'linear' }),
        b.kernels.Conv2D({ x: hx!, filter: hw!, bias: hb! }, { plan, activation: 'relu' }),
      ]);
      expectClose(`${name} forward`, y!, R.conv2d(x, w, withBias ? bias : undefined, plan));
      expectClose(`${name} forward relu`, yr!, R.conv2d(x, w, bias, plan, 'relu'));
      const [dx, dw] = await withTensors(b, [x, w, dy], ([hx, hw, hdy]) => [
        b.kernels.Conv2DBackpropInput({ dy: hdy!, filter: hw! }, { plan }),
        b.kernels.Conv2DBackpropFilter({ x: hx!, dy: hdy! }, { plan }),
      ]);
      expectClose(`${name} backprop input`, dx!, R.conv2dBackpropInput(dy, w, plan));
      expectClose(`${name} backprop filter`, dw!, R.conv2dBackpropFilter(x, dy, plan), 2e-4);
    },
  };
}

function poolCase(name: string, inShape: number[], opts: Pool2dOptions, withNaN = false): KernelCase {
  return {
    name: `pool2d ${name}`,
    group: 'pool',
    async run(b) {
      const plan = planPool2d(inShape, opts);
      const x = randomValues(size(inShape), 5);
      // Ties: repeated values must route the gradient to the first maximum only.
      for (let i = 0; i + 1 < x.length; i += 7) x[i + 1] = x[i]!;
      if (withNaN) x[3] = NaN;
      const dy = randomValues(size(plan.outShape), 6);
      const [my, mdx, ay, adx, ty, tam, tdx] = await withTensors(b, [x, dy], ([hx, hdy]) => {
        const [hy, ham] = b.kernels.MaxPool2DArgmax({ x: hx! }, { plan });
        return [
          b.kernels.MaxPool2D({ x: hx! }, { plan }),
          b.kernels.MaxPool2DGrad({ dy: hdy!, x: hx! }, { plan }),
          b.kernels.AvgPool2D({ x: hx! }, { plan }),
          b.kernels.AvgPool2DGrad({ dy: hdy! }, { plan }),
          hy!,
          ham!,
          b.kernels.MaxPool2DGradArgmax({ dy: hdy!, argmax: ham! }, { plan }),
        ];
      });
      const ref = R.maxPool2dArgmax(x, plan);
      expectClose(`${name} max forward with argmax`, ty!, ref.y);
      expectClose(`${name} argmax`, tam!, ref.argmax, 0);
      expectClose(`${name} max backward from argmax`, tdx!, R.maxPool2dGrad(dy, x, plan));
      expectClose(`${name} max forward`, my!, R.maxPool2d(x, plan));
      expectClose(`${name} max backward`, mdx!, R.maxPool2dGrad(dy, x, plan));
      expectClose(`${name} avg forward`, ay!, R.avgPool2d(x, plan));
      expectClose(`${name} avg backward`, adx!, R.avgPool2dGrad(dy, plan));
    },
  };
}

function matMulCase(m: number, k: number, n: number, ta: boolean, tb: boolean): KernelCase {
  return {
    name: `matMul ${m}x${k}x${n}${ta ? ' transposeA' : ''}${tb ? ' transposeB' : ''}`,
    group: 'matmul',
    async run(b) {
      const plan = planMatMul(ta ? [k, m] : [m, k], tb ? [n, k] : [k, n], ta, tb);
      const a = randomValues(m * k, 7);
      const bb = randomValues(k * n, 8);
      const bias = randomValues(n, 9);
      const [c, cr] = await withTensors(b, [a, bb, bias], ([ha, hb, hbias]) => [
        b.kernels.MatMul({ a: ha!, b: hb! }, { plan, activation: 'linear' }),
        b.kernels.MatMul({ a: ha!, b: hb!, bias: hbias! }, { plan, activation: 'relu' }),
      ]);
      expectClose(this.name, c!, R.matMul(a, bb, undefined, plan), 2e-4);
      expectClose(`${this.name} bias relu`, cr!, R.matMul(a, bb, bias, plan, 'relu'), 2e-4);
    },
  };
}

const BINARY: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'max', 'min', 'equal'];
const UNARY: UnaryOp[] = ['relu', 'leakyRelu', 'elu', 'sigmoid', 'tanh', 'exp', 'log', 'sqrt', 'neg', 'square', 'identity'];

export const cases: KernelCase[] = [
  convCase('3x3 same', [2, 3, 7, 6], [4, 3, 3, 3], { padding: 'same' }),
  convCase('5x5 valid no bias', [1, 2, 9, 9], [3, 2, 5, 5], {}, false),
  convCase('stride 2 pad 1', [2, 4, 9, 8], [5, 4, 3, 3], { stride: 2, padding: 1 }),
  convCase('stride [2,3] dilation 2 asym pad', [1, 3, 11, 12], [2, 3, 3, 2], { stride: [2, 3], dilation: 2, padding: [1, 0, 2, 1] }),
  convCase('groups 2', [2, 4, 6, 6], [6, 2, 3, 3], { groups: 2, padding: 1 }),
  convCase('depthwise', [1, 5, 7, 7], [5, 1, 3, 3], { groups: 5, padding: 'same', stride: 2 }),
  convCase('1x1 wide (multi-tile)', [2, 70, 9, 9], [66, 70, 1, 1], {}),
  // batch*outHeight*outWidth = 1600: the filter gradient is split over 3 chunks and reduced.
  convCase('3x3 long filter-gradient sum (split)', [4, 2, 20, 20], [3, 2, 3, 3], { padding: 1 }),
  poolCase('2x2', [2, 3, 8, 8], { window: 2 }),
  poolCase('3x3 stride 2 pad 1 ceil', [1, 2, 9, 10], { window: 3, stride: 2, padding: 1, ceilMode: true }),
  poolCase('3x3 stride 2 pad 1 exclude pad', [1, 2, 7, 7], { window: 3, stride: 2, padding: 1, countIncludePad: false }),
  poolCase('overlapping 3x2 stride 1 same', [2, 2, 5, 6], { window: [3, 2], stride: 1, padding: 'same' }),
  poolCase('NaN propagates', [1, 1, 4, 4], { window: 2 }, true),
  matMulCase(5, 7, 3, false, false),
  matMulCase(70, 33, 65, false, false),
  matMulCase(9, 17, 130, true, false),
  matMulCase(66, 20, 12, false, true),
  matMulCase(16, 16, 16, true, true),
  // vec4-load path (k, n multiples of 4), with ragged m and several k tiles.
  matMulCase(67, 36, 72, false, false),
  matMulCase(4, 4, 4, false, false),
  {
    name: 'binary broadcast, every op',
    group: 'elementwise',
    async run(b) {
      const plan = planBroadcast('add', [2, 3, 4], [3, 1]);
      const same = planBroadcast('add', [2, 5], [2, 5]);
      const a = randomValues(24, 10);
      const bb = randomValues(3, 11);
      bb[1] = a[5]!; // an equal pair for 'equal'
      const c = randomValues(10, 12);
      const d = randomValues(10, 13);
      d[4] = NaN;
      for (const op of BINARY) {
        const [y, z] = await withTensors(b, [a, bb, c, d], ([ha, hb, hc, hd]) => [
          b.kernels.Binary({ a: ha!, b: hb! }, { op, plan }),
          b.kernels.Binary({ a: hc!, b: hd! }, { op, plan: same }),
        ]);
        expectClose(`binary ${op}`, y!, R.binary(op, a, bb, plan), 1e-5);
        expectClose(`binary ${op} same shape with NaN`, z!, R.binary(op, c, d, same), 1e-5);
      }
    },
  },
  {
    name: 'unary and unary-grad, every op',
    group: 'elementwise',
    async run(b) {
      const n = 300;
      const x = randomValues(n, 14, -3, 3);
      x[0] = 0;
      x[1] = 40;
      x[2] = -40;
      const pos = x.map((v) => Math.abs(v) + 0.1);
      const dy = randomValues(n, 15);
      for (const op of UNARY) {
        const xin = op === 'log' || op === 'sqrt' ? pos : x;
        const alpha = op === 'elu' ? 1.5 : 0.1;
        const [y] = await withTensors(b, [xin], ([hx]) => b.kernels.Unary({ x: hx! }, { op, alpha, size: n }));
        expectClose(`unary ${op}`, y!, R.unary(op, xin, alpha), 1e-5, 2e-5);
        const [dx] = await withTensors(b, [dy, xin, y!], ([hdy, hx, hy]) =>
          b.kernels.UnaryGrad({ dy: hdy!, x: hx!, y: hy! }, { op, alpha, size: n }),
        );
        expectClose(`unaryGrad ${op}`, dx!, R.unaryGrad(op, dy, xin, y!, alpha), 1e-5, 2e-5);
      }
      const nan = Float32Array.from([NaN, 1]);
      const [r] = await withTensors(b, [nan], ([h]) => b.kernels.Unary({ x: h! }, { op: 'relu', alpha: 0, size: 2 }));
      expectClose('relu NaN', r!, [NaN, 1]);
    },
  },
  {
    name: 'bias-add, bias-add-grad, dropout',
    group: 'elementwise',
    async run(b) {
      const plan = planChannel('biasAdd', [3, 4, 5, 2], 4);
      const x = randomValues(120, 16);
      const bias = randomValues(4, 17);
      const noise = randomValues(120, 18, 0, 1);
      const [y, db, dr] = await withTensors(b, [x, bias, noise], ([hx, hb, hn]) => [
        b.kernels.BiasAdd({ x: hx!, bias: hb! }, { plan }),
        b.kernels.BiasAddGrad({ dy: hx! }, { plan }),
        b.kernels.Dropout({ x: hx!, noise: hn! }, { rate: 0.3, size: 120 }),
      ]);
      expectClose('biasAdd', y!, R.biasAdd(x, bias, plan));
      expectClose('biasAddGrad', db!, R.biasAddGrad(x, plan));
      expectClose('dropout', dr!, R.dropout(x, noise, 0.3), 1e-5);
    },
  },
  {
    name: 'reduce sum, mean, max (NaN)',
    group: 'reduce',
    async run(b) {
      for (const [outer, red, inner] of [
        [3, 5, 4],
        [1, 700, 1],
        [70, 3, 1],
      ] as const) {
        const plan = planReduce(outer, red, inner);
        const x = randomValues(outer * red * inner, 19);
        x[2] = NaN;
        for (const op of ['sum', 'mean', 'max'] as const) {
          const [y] = await withTensors(b, [x], ([h]) => b.kernels.Reduce({ x: h! }, { op, plan }));
          expectClose(`reduce ${op} [${outer},${red},${inner}]`, y!, R.reduce(op, x, plan), 1e-4);
        }
      }
    },
  },
  {
    name: 'softmax, log-softmax, cross-entropy and its gradient',
    group: 'reduce',
    async run(b) {
      const plan = planRows('softmax', [6, 130]);
      const x = randomValues(780, 20, -8, 8);
      const labels = randomValues(780, 21, 0, 1);
      const dloss = randomValues(6, 22);
      const [s, ls, l, dl] = await withTensors(b, [x, labels, dloss], ([hx, hl, hd]) => [
        b.kernels.Softmax({ x: hx! }, { plan, log: false }),
        b.kernels.Softmax({ x: hx! }, { plan, log: true }),
        b.kernels.SoftmaxCrossEntropy({ logits: hx!, labels: hl! }, { plan }),
        b.kernels.SoftmaxCrossEntropyGrad({ dloss: hd!, logits: hx!, labels: hl! }, { plan }),
      ]);
      expectClose('softmax', s!, R.softmax(x, plan, false), 1e-6, 1e-4);
      expectClose('logSoftmax', ls!, R.softmax(x, plan, true), 1e-4);
      expectClose('softmaxCrossEntropy', l!, R.softmaxCrossEntropy(x, labels, plan), 1e-3);
      expectClose('softmaxCrossEntropyGrad', dl!, R.softmaxCrossEntropyGrad(dloss, x, labels, plan), 1e-4);
    },
  },
  {
    name: 'batch norm train, inference, grad',
    group: 'norm',
    async run(b) {
      const plan = planChannel('batchNorm', [4, 3, 5, 5], 3);
      const eps = 1e-5;
      const x = randomValues(300, 23, -2, 3);
      const gamma = randomValues(3, 24, 0.5, 1.5);
      const beta = randomValues(3, 25);
      const dy = randomValues(300, 26);
      const st = R.batchMoments(x, plan);
      const mean = Float32Array.from(st.mean);
      const variance = Float32Array.from(st.variance);
      const [y, m, v, yi, dx, dg, db] = await withTensors(b, [x, gamma, beta, dy, mean, variance], ([hx, hg, hb, hdy, hm, hv]) => [
        ...b.kernels.BatchNormTrain({ x: hx!, gamma: hg!, beta: hb! }, { plan, epsilon: eps, activation: 'linear', momentum: 0 }),
        b.kernels.BatchNormInference({ x: hx!, gamma: hg!, beta: hb!, mean: hm!, variance: hv! }, { plan, epsilon: eps }),
        ...b.kernels.BatchNormGrad({ dy: hdy!, x: hx!, gamma: hg!, mean: hm!, variance: hv! }, { plan, epsilon: eps, activation: 'linear' }),
      ]);
      expectClose('batchNorm mean', m!, st.mean);
      expectClose('batchNorm variance', v!, st.variance);
      const want = R.batchNormInference(x, gamma, beta, st.mean, st.variance, plan, eps);
      expectClose('batchNorm train y', y!, want, 2e-4);
      expectClose('batchNorm inference', yi!, want, 2e-4);
      const g = R.batchNormGrad(dy, x, gamma, mean, variance, plan, eps);
      expectClose('batchNormGrad dx', dx!, g.dx, 2e-4);
      expectClose('batchNormGrad dgamma', dg!, g.dgamma, 2e-4);
      expectClose('batchNormGrad dbeta', db!, g.dbeta, 2e-4);
    },
  },
  {
    name: 'concat, slice, transpose, pad',
    group: 'layout',
    async run(b) {
      const a = randomValues(2 * 3 * 4, 27);
      const c = randomValues(2 * 1 * 4, 28);
      const cp = planConcat([[2, 3, 4], [2, 1, 4]], 1);
      const sp = planSlice([2, 3, 4], [1, 0, 1], [1, -1, 2]);
      const tp = planTranspose([2, 3, 4], [2, 0, 1]);
      const pp = planPad([2, 3, 4], [[0, 1], [2, 0], [1, 1]]);
      const [cat, sl, tr, pd] = await withTensors(b, [a, c], ([ha, hc]) => [
        b.kernels.Concat({ xs: [ha!, hc!] }, { plan: cp }),
        b.kernels.Slice({ x: ha! }, { plan: sp }),
        b.kernels.Transpose({ x: ha! }, { plan: tp }),
        b.kernels.Pad({ x: ha! }, { plan: pp, value: -7 }),
      ]);
      expectClose('concat', cat!, R.concat([a, c], [[2, 3, 4], [2, 1, 4]], cp), 0);
      expectClose('slice', sl!, R.slice(a, sp), 0);
      expectClose('transpose', tr!, R.transpose(a, tp), 0);
      expectClose('pad', pd!, R.pad(a, pp, -7), 0);
    },
  },
  {
    name: 'sgd (momentum, nesterov, weight decay) and adam/adamw in place',
    group: 'optimizer',
    async run(b) {
      const n = 50;
      const p0 = randomValues(n, 29);
      const g = randomValues(n, 30);
      const s0 = randomValues(n, 31);
      const v0 = randomValues(n, 32, 0, 1);
      for (const nesterov of [false, true]) {
        const attrs = { size: n, lr: 0.1, momentum: 0.9, nesterov, weightDecay: 0.01 };
        const [p, vel] = await withTensorsInPlace(b, [p0, g, s0], ([hp, hg, hv]) => {
          b.kernels.SgdUpdate({ param: hp!, grad: hg!, velocity: hv! }, attrs);
          return [hp!, hv!];
        });
        const wantP = Float64Array.from(p0);
        const wantV = Float64Array.from(s0);
        R.sgdUpdate(wantP, g, wantV, attrs);
        expectClose(`sgd nesterov=${nesterov} velocity`, vel!, wantV, 1e-5);
        expectClose(`sgd nesterov=${nesterov} param`, p!, wantP, 1e-5);
      }
      for (const decoupled of [false, true]) {
        const attrs = { size: n, lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.1, decoupled, step: 3 };
        const [p, m, v] = await withTensorsInPlace(b, [p0, g, s0, v0], ([hp, hg, hm, hv]) => {
          b.kernels.AdamUpdate({ param: hp!, grad: hg!, m: hm!, v: hv! }, attrs);
          return [hp!, hm!, hv!];
        });
        const wp = Float64Array.from(p0);
        const wm = Float64Array.from(s0);
        const wv = Float64Array.from(v0);
        R.adamUpdate(wp, g, wm, wv, attrs);
        expectClose(`adam decoupled=${decoupled} m`, m!, wm, 1e-5);
        expectClose(`adam decoupled=${decoupled} v`, v!, wv, 1e-5);
        expectClose(`adam decoupled=${decoupled} param`, p!, wp, 1e-4);
      }
    },
  },
];

/** Like withTensors, for in-place kernels: the returned handles are inputs, read then freed once. */
async function withTensorsInPlace(
  b: WebGpuBackend,
  inputs: Float32Array[],
  body: (hs: WebGpuHandle[]) => WebGpuHandle[],
): Promise<Float32Array[]> {
  const hs = inputs.map((v) => b.upload(v));
  try {
    return await Promise.all(body(hs).map((h) => b.read(h)));
  } finally {
    for (const h of hs) b.free(h);
  }
}
