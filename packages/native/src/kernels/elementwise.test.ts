import { describe, expect, it } from 'vitest';
import { planBroadcast, planChannel, planReduce, planRows, type BinaryOp, type UnaryOp } from '@stridenet/core';
import * as R from '@stridenet/conformance/reference';
import { maxRelError, random } from '../testing/values.js';
import { useBackend } from '../testing/backend.js';
import { createNativeBackend } from '../index.js';

const { b, up, get } = useBackend();

const BINARY: readonly BinaryOp[] = ['add', 'sub', 'mul', 'div', 'max', 'min', 'equal'];
const UNARY: readonly UnaryOp[] = ['relu', 'leakyRelu', 'elu', 'sigmoid', 'tanh', 'exp', 'log', 'sqrt', 'neg', 'square', 'identity'];

describe('element-wise kernels vs the float64 reference', () => {
  const shapes: [number[], number[]][] = [
    [[3, 4], [3, 4]],
    [[2, 3, 4], [4]],
    [[2, 1, 5], [3, 1]],
    [[4, 3, 2, 2], [1, 3, 1, 1]],
    [[5], []],
    // Axis collapsing in the native Binary: lines longer than one chunk (2^14), unit axes, axes that
    // merge on one side only, a per-channel operand on either side, every axis of extent 1.
    [[2, 3, 70, 70], [2, 3, 70, 70]],
    [[4, 3, 70, 70], [1, 3, 1, 1]],
    [[1, 3, 1, 1], [2, 3, 5, 7]],
    [[2, 3, 4, 5], [2, 3, 1, 5]],
    [[3, 1, 4, 5], [6, 1, 1]],
    [[17, 1], [1, 20000]],
    [[1, 1, 1], [1]],
  ];
  for (const op of BINARY) {
    it(`Binary ${op} with broadcasting`, () => {
      for (const [as, bs] of shapes) {
        const plan = planBroadcast(op, as, bs);
        const a = random(as.reduce((x, d) => x * d, 1), 2);
        const nb = bs.reduce((x, d) => x * d, 1);
        const bv = op === 'equal' ? Float32Array.from({ length: nb }, (_, i) => a[i % a.length]!) : random(nb, 3);
        const y = get(b().kernels.Binary({ a: up(a), b: up(bv) }, { op, plan }));
        expect(maxRelError(y, R.binary(op, a, bv, plan))).toBeLessThan(1e-6);
      }
    });
  }

  for (const op of UNARY) {
    it(`Unary and UnaryGrad ${op}`, () => {
      const positive = op === 'log' || op === 'sqrt';
      const x = random(1000, 6).map((v) => (positive ? Math.abs(v) + 0.1 : v * 3));
      const alpha = 0.3;
      const hx = up(x);
      const hy = b().kernels.Unary({ x: hx }, { op, alpha, size: x.length });
      const y = b().readSync!(hy);
      expect(maxRelError(y, R.unary(op, x, alpha))).toBeLessThan(2e-6);
      const dy = random(1000, 7);
      const dx = get(b().kernels.UnaryGrad({ dy: up(dy), x: hx, y: hy }, { op, alpha, size: x.length }));
      expect(maxRelError(dx, R.unaryGrad(op, dy, x, y, alpha))).toBeLessThan(2e-6);
    });
  }

  it('Reduce sum, mean, max (NaN propagates)', () => {
    const [outer, r, inner] = [3, 7, 5];
    const x = random(outer * r * inner, 9);
    x[40] = NaN;
    const plan = planReduce(outer, r, inner);
    for (const op of ['sum', 'mean', 'max'] as const) {
      const y = get(b().kernels.Reduce({ x: up(x) }, { op, plan }));
      expect(maxRelError(y, R.reduce(op, x, plan))).toBeLessThan(1e-6);
    }
  });

  it('Reduce over long contiguous rows (chunked partial sums) matches the reference and any thread count', async () => {
    // 3 rows of 100003: several 2^14 chunks per row and a ragged tail; one row of 5 (a single short chunk).
    const one = await createNativeBackend({ threads: 1 });
    for (const [outer, r] of [
      [3, 100003],
      [1, 5],
      [1, 1 << 20],
    ] as const) {
      const x = random(outer * r, 21).map((v) => v * 100 + 3);
      const plan = planReduce(outer, r, 1);
      for (const op of ['sum', 'mean', 'max'] as const) {
        const y = get(b().kernels.Reduce({ x: up(x) }, { op, plan }));
        expect(maxRelError(y, R.reduce(op, x, plan))).toBeLessThan(1e-6);
        const h = one.upload(x);
        const y1 = one.readSync!(one.kernels.Reduce({ x: h }, { op, plan }));
        expect(y1).toEqual(y);
        one.free(h);
      }
      // A NaN in the last chunk of the last row reaches that row's sum and max only.
      x[outer * r - 2] = NaN;
      for (const op of ['sum', 'max'] as const) {
        const y = get(b().kernels.Reduce({ x: up(x) }, { op, plan }));
        expect(Number.isNaN(y[outer - 1])).toBe(true);
        expect(maxRelError(y, R.reduce(op, x, plan))).toBeLessThan(1e-6);
      }
    }
    await one.dispose?.();
  });

  it('Softmax, log-softmax, cross-entropy and its gradient', () => {
    const [rows, cols] = [4, 10];
    const z = random(rows * cols, 10).map((v) => v * 20);
    const l = random(rows * cols, 11).map((v) => Math.abs(v));
    const plan = planRows('softmax', [rows, cols]);
    const hz = up(z);
    const hl = up(l);
    const sm = get(b().kernels.Softmax({ x: hz }, { plan, log: false }));
    const lsm = get(b().kernels.Softmax({ x: hz }, { plan, log: true }));
    const loss = get(b().kernels.SoftmaxCrossEntropy({ logits: hz, labels: hl }, { plan }));
    const dloss = random(rows, 12);
    const dz = get(b().kernels.SoftmaxCrossEntropyGrad({ dloss: up(dloss), logits: hz, labels: hl }, { plan }));
    expect(maxRelError(sm, R.softmax(z, plan, false))).toBeLessThan(1e-6);
    expect(maxRelError(lsm, R.softmax(z, plan, true))).toBeLessThan(1e-5);
    expect(maxRelError(loss, R.softmaxCrossEntropy(z, l, plan))).toBeLessThan(1e-5);
    expect(maxRelError(dz, R.softmaxCrossEntropyGrad(dloss, z, l, plan))).toBeLessThan(1e-5);
  });

  it('BiasAdd, BiasAddGrad and batch norm (train, inference, grad)', () => {
    const [n, c, inner] = [3, 4, 6];
    const plan = planChannel('batchNorm', [n, c, 2, 3], c);
    const x = random(n * c * inner, 13).map((v) => v * 2 + 1);
    const gamma = random(c, 14);
    const beta = random(c, 15);
    const dy = random(n * c * inner, 16);
    const eps = 1e-5;
    const hx = up(x);
    const hg = up(gamma);
    const hb = up(beta);
    const yb = get(b().kernels.BiasAdd({ x: hx, bias: hb }, { plan }));
    const db = get(b().kernels.BiasAddGrad({ dy: up(dy) }, { plan }));
    const [hy, hm, hv] = b().kernels.BatchNormTrain({ x: hx, gamma: hg, beta: hb }, { plan, epsilon: eps, activation: 'linear', momentum: 0 });
    const y = b().readSync!(hy);
    const mean = b().readSync!(hm);
    const variance = b().readSync!(hv);
    const yi = get(b().kernels.BatchNormInference({ x: hx, gamma: hg, beta: hb, mean: hm, variance: hv }, { plan, epsilon: eps }));
    const [hdx, hdg, hdb] = b().kernels.BatchNormGrad({ dy: up(dy), x: hx, gamma: hg, mean: hm, variance: hv }, { plan, epsilon: eps, activation: 'linear' });
    const dx = get(hdx);
    const dg = get(hdg);
    const dbeta = get(hdb);
    const want = R.batchNormTrain(x, gamma, beta, plan, eps);
    expect(maxRelError(yb, R.biasAdd(x, beta, plan))).toBeLessThan(1e-6);
    expect(maxRelError(db, R.biasAddGrad(dy, plan))).toBeLessThan(1e-5);
    expect(maxRelError(mean, want.mean)).toBeLessThan(1e-5);
    expect(maxRelError(variance, want.variance)).toBeLessThan(1e-5);
    expect(maxRelError(y, want.y)).toBeLessThan(1e-5);
    expect(maxRelError(yi, y)).toBeLessThan(1e-5);
    // The kernel's gradient reads the float32 statistics it was handed.
    const grad = R.batchNormGrad(dy, x, gamma, mean, variance, plan, eps);
    expect(maxRelError(dx, grad.dx)).toBeLessThan(1e-4);
    expect(maxRelError(dg, grad.dgamma)).toBeLessThan(1e-4);
    expect(maxRelError(dbeta, grad.dbeta)).toBeLessThan(1e-5);
  });

  it('Dropout keeps cells whose noise >= rate, scaled', () => {
    const x = random(100, 17);
    const noise = random(100, 18).map((v) => Math.abs(v));
    const y = get(b().kernels.Dropout({ x: up(x), noise: up(noise) }, { rate: 0.4, size: 100 }));
    expect(maxRelError(y, R.dropout(x, noise, 0.4))).toBeLessThan(1e-6);
  });

  it('SgdUpdate and AdamUpdate update in place, and reads see the update', async () => {
    const p = random(50, 19);
    const g = random(50, 20);
    const hp = up(p);
    const hv = up(new Float32Array(50).fill(0.5));
    const sgd = { size: 50, lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 };
    b().kernels.SgdUpdate({ param: hp, grad: up(g), velocity: hv }, sgd);
    const wantP = Float64Array.from(p);
    const wantV = new Float64Array(50).fill(0.5);
    R.sgdUpdate(wantP, g, wantV, sgd);
    expect(maxRelError(await b().read(hv), wantV)).toBeLessThan(1e-5);
    expect(maxRelError(await b().read(hp), wantP)).toBeLessThan(1e-5);
    const hm = up(new Float32Array(50));
    const ha = up(new Float32Array(50));
    for (const decoupled of [false, true]) {
      const q = await b().read(hp);
      const mv = await b().read(hm);
      const vv = await b().read(ha);
      const attrs = { size: 50, lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.1, decoupled, step: decoupled ? 2 : 1 };
      b().kernels.AdamUpdate({ param: hp, grad: up(g), m: hm, v: ha }, attrs);
      const want = Float64Array.from(q);
      R.adamUpdate(want, g, Float64Array.from(mv), Float64Array.from(vv), attrs);
      expect(maxRelError(b().readSync!(hp), want)).toBeLessThan(1e-5);
    }
  });
});
