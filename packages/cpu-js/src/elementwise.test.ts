import { planBroadcast, planChannel, planReduce, planRows, type UnaryOp } from '@stridenet/core';
import { describe, expect, it } from 'vitest';
import { kernels } from './kernels/index.js';
import { expectClose, rand } from './test/util.js';

describe('Binary', () => {
  it('broadcasts [2,1,3] with [4,1] following NumPy', () => {
    const plan = planBroadcast('add', [2, 1, 3], [4, 1]);
    const a = rand(6, 1);
    const b = rand(4, 2);
    const expected: number[] = [];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 4; j++) for (let k = 0; k < 3; k++) expected.push(a[i * 3 + k]! - b[j]!);
    expectClose(kernels.Binary({ a, b }, { op: 'sub', plan }), expected, 1e-6);
  });

  it('rank 5 with broadcast on inner and outer axes', () => {
    const sa = [3, 1, 2, 1, 4];
    const sb = [2, 1, 3, 4];
    const plan = planBroadcast('mul', sa, sb);
    const a = rand(24, 3);
    const b = rand(24, 4);
    const out = kernels.Binary({ a, b }, { op: 'mul', plan });
    const expected: number[] = [];
    for (let i0 = 0; i0 < 3; i0++)
      for (let i1 = 0; i1 < 2; i1++)
        for (let i2 = 0; i2 < 2; i2++)
          for (let i3 = 0; i3 < 3; i3++)
            for (let i4 = 0; i4 < 4; i4++) expected.push(a[(i0 * 2 + i2) * 4 + i4]! * b[(i1 * 3 + i3) * 4 + i4]!);
    expectClose(out, expected, 1e-6);
  });

  it('max/min propagate NaN, equal gives 1 or 0, scalar operands', () => {
    const plan = planBroadcast('max', [3], [3]);
    const a = new Float32Array([1, NaN, 3]);
    const b = new Float32Array([2, 0, 3]);
    expectClose(kernels.Binary({ a, b }, { op: 'max', plan }), [2, NaN, 3]);
    expectClose(kernels.Binary({ a, b }, { op: 'min', plan }), [1, NaN, 3]);
    expectClose(kernels.Binary({ a, b }, { op: 'equal', plan }), [0, 0, 1]);
    const s = planBroadcast('div', [1], [3]);
    expectClose(kernels.Binary({ a: new Float32Array([6]), b }, { op: 'div', plan: s }), [3, Infinity, 2]);
  });
});

describe('Unary and UnaryGrad', () => {
  const x = new Float32Array([-2, -0.5, 0.25, 1.5, 3]);
  const pos = new Float32Array([0.1, 0.5, 1, 2, 4]);
  const dy = rand(5, 9);
  const ops: [UnaryOp, (v: number) => number, (v: number) => number, Float32Array][] = [
    ['relu', (v) => Math.max(v, 0), (v) => (v > 0 ? 1 : 0), x],
    ['leakyRelu', (v) => (v > 0 ? v : 0.1 * v), (v) => (v > 0 ? 1 : 0.1), x],
    ['elu', (v) => (v > 0 ? v : 0.1 * (Math.exp(v) - 1)), (v) => (v > 0 ? 1 : 0.1 * Math.exp(v)), x],
    ['sigmoid', (v) => 1 / (1 + Math.exp(-v)), (v) => Math.exp(-v) / (1 + Math.exp(-v)) ** 2, x],
    ['tanh', Math.tanh, (v) => 1 - Math.tanh(v) ** 2, x],
    ['exp', Math.exp, Math.exp, x],
    ['log', Math.log, (v) => 1 / v, pos],
    ['sqrt', Math.sqrt, (v) => 0.5 / Math.sqrt(v), pos],
    ['neg', (v) => -v, () => -1, x],
    ['square', (v) => v * v, (v) => 2 * v, x],
    ['identity', (v) => v, () => 1, x],
  ];
  for (const [op, f, df, input] of ops) {
    it(op, () => {
      const y = kernels.Unary({ x: input }, { op, alpha: 0.1, size: 5 });
      expectClose(y, Array.from(input, f), 1e-6);
      expectClose(kernels.UnaryGrad({ dy, x: input, y }, { op, alpha: 0.1, size: 5 }), Array.from(input, (v, i) => dy[i]! * df(v)), 1e-5);
    });
  }
  it('relu propagates NaN', () => {
    expect(kernels.Unary({ x: new Float32Array([NaN]) }, { op: 'relu', alpha: 0, size: 1 })[0]).toBeNaN();
  });
});

describe('Reduce, Softmax, cross-entropy', () => {
  it('reduces the middle of [outer, reduce, inner]', () => {
    const x = rand(2 * 3 * 4, 5);
    const plan = planReduce(2, 3, 4);
    const sum: number[] = [];
    const max: number[] = [];
    for (let o = 0; o < 2; o++)
      for (let i = 0; i < 4; i++) {
        let s = 0;
        let m = -Infinity;
        for (let r = 0; r < 3; r++) {
          s += x[(o * 3 + r) * 4 + i]!;
          m = Math.max(m, x[(o * 3 + r) * 4 + i]!);
        }
        sum.push(s);
        max.push(m);
      }
    expectClose(kernels.Reduce({ x }, { op: 'sum', plan }), sum);
    expectClose(kernels.Reduce({ x }, { op: 'mean', plan }), sum.map((v) => v / 3));
    expectClose(kernels.Reduce({ x }, { op: 'max', plan }), max);
    x[5] = NaN;
    expect(kernels.Reduce({ x }, { op: 'max', plan })[1]).toBeNaN();
  });

  it('softmax and log-softmax are stable for large logits', () => {
    const plan = planRows('softmax', [2, 3]);
    const x = new Float32Array([1000, 1001, 1002, -1, 0, 1]);
    const e = [Math.exp(-2), Math.exp(-1), 1];
    const z = e[0]! + e[1]! + 1;
    const p = [...e.map((v) => v / z), ...e.map((v) => v / z)];
    expectClose(kernels.Softmax({ x }, { plan, log: false }), p, 1e-6);
    expectClose(kernels.Softmax({ x }, { plan, log: true }), p.map(Math.log), 1e-6);
  });

  it('cross-entropy with smoothed labels and its gradient (checked by finite differences)', () => {
    const plan = planRows('sce', [3, 4]);
    const logits = rand(12, 6).map((v) => 3 * v);
    const labels = new Float32Array([0, 1, 0, 0, 0.1, 0.1, 0.7, 0.1, 0.25, 0.25, 0.25, 0.25]);
    const loss = kernels.SoftmaxCrossEntropy({ logits, labels }, { plan });
    const dloss = new Float32Array([1, -2, 0.5]);
    const grad = kernels.SoftmaxCrossEntropyGrad({ dloss, logits, labels }, { plan });
    const f = (z: Float64Array) => {
      let total = 0;
      for (let r = 0; r < 3; r++) {
        const row = z.subarray(r * 4, r * 4 + 4);
        const lse = Math.log(row.reduce((a, v) => a + Math.exp(v), 0));
        let l = 0;
        for (let j = 0; j < 4; j++) l -= labels[r * 4 + j]! * (row[j]! - lse);
        total += dloss[r]! * l;
      }
      return total;
    };
    const z = Float64Array.from(logits);
    const fd: number[] = [];
    for (let i = 0; i < 12; i++) {
      const h = 1e-5;
      const zp = z.slice();
      zp[i] += h;
      const zm = z.slice();
      zm[i] -= h;
      fd.push((f(zp) - f(zm)) / (2 * h));
    }
    expectClose(grad, fd, 1e-4);
    const l0 = (() => {
      const row = z.subarray(0, 4);
      return -(row[1]! - Math.log(row.reduce((a, v) => a + Math.exp(v), 0)));
    })();
    expect(Math.abs(loss[0]! - l0)).toBeLessThan(1e-5);
  });
});

describe('BiasAdd, BatchNorm, Dropout', () => {
  const shape = [2, 3, 2, 2];
  const plan = planChannel('bn', shape, 3);
  const x = rand(24, 31);
  const channelOf = (i: number) => Math.floor(i / 4) % 3;

  it('bias add and its gradient', () => {
    const bias = new Float32Array([1, 2, 3]);
    expectClose(kernels.BiasAdd({ x, bias }, { plan }), Array.from(x, (v, i) => v + bias[channelOf(i)]!));
    const dy = rand(24, 32);
    const expected = [0, 0, 0];
    dy.forEach((v, i) => (expected[channelOf(i)] += v));
    expectClose(kernels.BiasAddGrad({ dy }, { plan }), expected);
  });

  it('batch norm train (biased variance), inference and gradient by finite differences', () => {
    const gamma = new Float32Array([1, 0.5, -2]);
    const beta = new Float32Array([0, 1, 0.5]);
    const eps = 1e-5;
    const [y, mean, variance] = kernels.BatchNormTrain({ x, gamma, beta }, { plan, epsilon: eps, activation: 'linear', momentum: 0 });
    const mu = [0, 0, 0];
    x.forEach((v, i) => (mu[channelOf(i)] += v / 8));
    const va = [0, 0, 0];
    x.forEach((v, i) => (va[channelOf(i)] += (v - mu[channelOf(i)]!) ** 2 / 8));
    expectClose(mean, mu);
    expectClose(variance, va);
    const yRef = Array.from(x, (v, i) => {
      const c = channelOf(i);
      return (gamma[c]! * (v - mu[c]!)) / Math.sqrt(va[c]! + eps) + beta[c]!;
    });
    expectClose(y, yRef, 1e-5);
    expectClose(kernels.BatchNormInference({ x, gamma, beta, mean, variance }, { plan, epsilon: eps }), yRef, 1e-5);

    const dy = rand(24, 33);
    const [dx, dgamma, dbeta] = kernels.BatchNormGrad({ dy, x, gamma, mean, variance }, { plan, epsilon: eps, activation: 'linear' });
    const loss = (xs: Float64Array, g: ArrayLike<number>, b: ArrayLike<number>) => {
      const m = [0, 0, 0];
      xs.forEach((v, i) => (m[channelOf(i)] += v / 8));
      const q = [0, 0, 0];
      xs.forEach((v, i) => (q[channelOf(i)] += (v - m[channelOf(i)]!) ** 2 / 8));
      let s = 0;
      xs.forEach((v, i) => {
        const c = channelOf(i);
        s += dy[i]! * ((g[c]! * (v - m[c]!)) / Math.sqrt(q[c]! + eps) + b[c]!);
      });
      return s;
    };
    const x64 = Float64Array.from(x);
    const h = 1e-6;
    const fdx = Array.from(x64, (_, i) => {
      const p = x64.slice();
      p[i] += h;
      const m = x64.slice();
      m[i] -= h;
      return (loss(p, gamma, beta) - loss(m, gamma, beta)) / (2 * h);
    });
    expectClose(dx, fdx, 1e-3);
    const fdg = [0, 1, 2].map((c) => {
      const p = Array.from(gamma);
      p[c] += h;
      const m = Array.from(gamma);
      m[c] -= h;
      return (loss(x64, p, beta) - loss(x64, m, beta)) / (2 * h);
    });
    expectClose(dgamma, fdg, 1e-3);
    const db = [0, 0, 0];
    dy.forEach((v, i) => (db[channelOf(i)] += v));
    expectClose(dbeta, db);
  });

  it('dropout keeps cells with noise >= rate, scaled by 1 / (1 - rate)', () => {
    const noise = new Float32Array([0.1, 0.3, 0.29, 0.9]);
    const y = kernels.Dropout({ x: new Float32Array([1, 2, 3, 4]), noise }, { rate: 0.3, size: 4 });
    expectClose(y, [0, 2 / 0.7, 0, 4 / 0.7]);
  });
});
