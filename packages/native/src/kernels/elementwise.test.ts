import { describe, expect, it } from 'vitest';
import { planBroadcast, planChannel, planReduce, planRows, type BinaryOp, type UnaryOp } from '@stridenet/core';
import { maxRelError, random } from '../testing/reference.js';
import { useBackend } from '../testing/backend.js';

const { b, up, get } = useBackend();

const binaryRef: Record<BinaryOp, (x: number, y: number) => number> = {
  add: (x, y) => x + y,
  sub: (x, y) => x - y,
  mul: (x, y) => x * y,
  div: (x, y) => x / y,
  max: (x, y) => Math.max(x, y),
  min: (x, y) => Math.min(x, y),
  equal: (x, y) => (x === y ? 1 : 0),
};

const unaryRef: Record<UnaryOp, [(x: number, a: number) => number, (x: number, y: number, a: number) => number]> = {
  relu: [(x) => Math.max(0, x), (x) => (x > 0 ? 1 : 0)],
  leakyRelu: [(x, a) => (x > 0 ? x : a * x), (x, _y, a) => (x > 0 ? 1 : a)],
  elu: [(x, a) => (x > 0 ? x : a * Math.expm1(x)), (x, y, a) => (x > 0 ? 1 : y + a)],
  sigmoid: [(x) => 1 / (1 + Math.exp(-x)), (_x, y) => y * (1 - y)],
  tanh: [(x) => Math.tanh(x), (_x, y) => 1 - y * y],
  exp: [(x) => Math.exp(x), (_x, y) => y],
  log: [(x) => Math.log(x), (x) => 1 / x],
  sqrt: [(x) => Math.sqrt(x), (_x, y) => 0.5 / y],
  neg: [(x) => -x, () => -1],
  square: [(x) => x * x, (x) => 2 * x],
  identity: [(x) => x, () => 1],
};

function broadcastRef(aShape: number[], bShape: number[], a: Float32Array, bv: Float32Array, f: (x: number, y: number) => number): Float64Array {
  const plan = planBroadcast('test', aShape, bShape);
  const out = new Float64Array(plan.size);
  for (let i = 0; i < plan.size; i++) {
    let rem = i;
    let ia = 0;
    let ib = 0;
    for (let d = plan.rank - 1; d >= 0; d--) {
      const idx = rem % plan.outShape[d]!;
      rem = Math.floor(rem / plan.outShape[d]!);
      ia += idx * plan.aStrides[d]!;
      ib += idx * plan.bStrides[d]!;
    }
    out[i] = f(a[ia]!, bv[ib]!);
  }
  return out;
}

describe('element-wise kernels vs float64 loops', () => {
  const shapes: [number[], number[]][] = [
    [[3, 4], [3, 4]],
    [[2, 3, 4], [4]],
    [[2, 1, 5], [3, 1]],
    [[4, 3, 2, 2], [1, 3, 1, 1]],
    [[5], []],
  ];
  for (const op of Object.keys(binaryRef) as BinaryOp[]) {
    it(`Binary ${op} with broadcasting`, () => {
      for (const [as, bs] of shapes) {
        const plan = planBroadcast(op, as, bs);
        const a = random(as.reduce((x, d) => x * d, 1), 2);
        const bv = op === 'equal' ? a.slice(0, bs.reduce((x, d) => x * d, 1)) : random(bs.reduce((x, d) => x * d, 1), 3);
        const y = get(b().kernels.Binary({ a: up(a), b: up(bv) }, { op, plan }));
        expect(maxRelError(y, broadcastRef(as, bs, a, bv, binaryRef[op]))).toBeLessThan(1e-6);
      }
    });
  }

  for (const op of Object.keys(unaryRef) as UnaryOp[]) {
    it(`Unary and UnaryGrad ${op}`, () => {
      const positive = op === 'log' || op === 'sqrt';
      const x = random(1000, 6).map((v) => (positive ? Math.abs(v) + 0.1 : v * 3));
      const alpha = 0.3;
      const [f, df] = unaryRef[op];
      const hx = up(x);
      const hy = b().kernels.Unary({ x: hx }, { op, alpha, size: x.length });
      const y = b().readSync!(hy);
      expect(maxRelError(y, Array.from(x, (v) => f(v, alpha)))).toBeLessThan(2e-6);
      const dy = random(1000, 7);
      const dx = get(b().kernels.UnaryGrad({ dy: up(dy), x: hx, y: hy }, { op, alpha, size: x.length }));
      expect(maxRelError(dx, Array.from(x, (v, i) => dy[i]! * df(v, y[i]!, alpha)))).toBeLessThan(2e-6);
    });
  }

  it('Reduce sum, mean, max (NaN propagates)', () => {
    const [outer, r, inner] = [3, 7, 5];
    const x = random(outer * r * inner, 9);
    x[40] = NaN;
    const plan = planReduce(outer, r, inner);
    for (const op of ['sum', 'mean', 'max'] as const) {
      const y = get(b().kernels.Reduce({ x: up(x) }, { op, plan }));
      const ref = new Float64Array(outer * inner);
      for (let o = 0; o < outer; o++)
        for (let i = 0; i < inner; i++) {
          const vals = Array.from({ length: r }, (_, k) => x[(o * r + k) * inner + i]!);
          const s = vals.reduce((a, v) => a + v, 0);
          ref[o * inner + i] = op === 'sum' ? s : op === 'mean' ? s / r : vals.some(Number.isNaN) ? NaN : Math.max(...vals);
        }
      expect(maxRelError(y, ref)).toBeLessThan(1e-6);
    }
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
    for (let r = 0; r < rows; r++) {
      const row = Array.from(z.subarray(r * cols, (r + 1) * cols));
      const m = Math.max(...row);
      const lse = m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
      const total = Array.from(l.subarray(r * cols, (r + 1) * cols)).reduce((a, v) => a + v, 0);
      let ce = 0;
      for (let j = 0; j < cols; j++) {
        const p = Math.exp(row[j]! - lse);
        expect(Math.abs(sm[r * cols + j]! - p)).toBeLessThan(1e-6);
        expect(Math.abs(lsm[r * cols + j]! - (row[j]! - lse))).toBeLessThan(1e-5);
        ce -= l[r * cols + j]! * (row[j]! - lse);
        expect(Math.abs(dz[r * cols + j]! - dloss[r]! * (p * total - l[r * cols + j]!))).toBeLessThan(1e-5);
      }
      expect(Math.abs(loss[r]! - ce) / (1 + Math.abs(ce))).toBeLessThan(1e-5);
    }
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
    const [hy, hm, hv] = b().kernels.BatchNormTrain({ x: hx, gamma: hg, beta: hb }, { plan, epsilon: eps });
    const y = b().readSync!(hy);
    const mean = b().readSync!(hm);
    const variance = b().readSync!(hv);
    const yi = get(b().kernels.BatchNormInference({ x: hx, gamma: hg, beta: hb, mean: hm, variance: hv }, { plan, epsilon: eps }));
    const [hdx, hdg, hdb] = b().kernels.BatchNormGrad({ dy: up(dy), x: hx, gamma: hg, mean: hm, variance: hv }, { plan, epsilon: eps });
    const dx = get(hdx);
    const dg = get(hdg);
    const dbeta = get(hdb);
    const M = n * inner;
    for (let ch = 0; ch < c; ch++) {
      const idx: number[] = [];
      for (let o = 0; o < n; o++) for (let i = 0; i < inner; i++) idx.push((o * c + ch) * inner + i);
      const mu = idx.reduce((a, i) => a + x[i]!, 0) / M;
      const v = idx.reduce((a, i) => a + (x[i]! - mu) ** 2, 0) / M;
      const inv = 1 / Math.sqrt(v + eps);
      expect(Math.abs(mean[ch]! - mu)).toBeLessThan(1e-5);
      expect(Math.abs(variance[ch]! - v)).toBeLessThan(1e-5);
      const sdy = idx.reduce((a, i) => a + dy[i]!, 0);
      const sdyx = idx.reduce((a, i) => a + dy[i]! * (x[i]! - mu) * inv, 0);
      expect(Math.abs(db[ch]! - sdy)).toBeLessThan(1e-5);
      expect(Math.abs(dbeta[ch]! - sdy)).toBeLessThan(1e-5);
      expect(Math.abs(dg[ch]! - sdyx)).toBeLessThan(1e-4);
      for (const i of idx) {
        const xhat = (x[i]! - mu) * inv;
        expect(Math.abs(yb[i]! - (x[i]! + beta[ch]!))).toBeLessThan(1e-6);
        expect(Math.abs(y[i]! - (xhat * gamma[ch]! + beta[ch]!))).toBeLessThan(1e-5);
        expect(Math.abs(yi[i]! - y[i]!)).toBeLessThan(1e-5);
        const ref = (gamma[ch]! * inv * (M * dy[i]! - sdy - xhat * sdyx)) / M;
        expect(Math.abs(dx[i]! - ref)).toBeLessThan(1e-4);
      }
    }
  });

  it('Dropout keeps cells whose noise >= rate, scaled', () => {
    const x = random(100, 17);
    const noise = random(100, 18).map((v) => Math.abs(v));
    const y = get(b().kernels.Dropout({ x: up(x), noise: up(noise) }, { rate: 0.4, size: 100 }));
    for (let i = 0; i < 100; i++) expect(y[i]).toBeCloseTo(noise[i]! >= 0.4 ? x[i]! / 0.6 : 0, 6);
  });

  it('SgdUpdate and AdamUpdate update in place, and reads see the update', async () => {
    const p = random(50, 19);
    const g = random(50, 20);
    const hp = up(p);
    const hv = up(new Float32Array(50).fill(0.5));
    b().kernels.SgdUpdate({ param: hp, grad: up(g), velocity: hv }, { size: 50, lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 });
    const p1 = await b().read(hp);
    const v1 = await b().read(hv);
    for (let i = 0; i < 50; i++) {
      const d = g[i]! + 0.01 * p[i]!;
      const v = 0.9 * 0.5 + d;
      expect(v1[i]).toBeCloseTo(v, 5);
      expect(p1[i]).toBeCloseTo(p[i]! - 0.1 * (d + 0.9 * v), 5);
    }
    const hm = up(new Float32Array(50));
    const ha = up(new Float32Array(50));
    for (const decoupled of [false, true]) {
      const q = await b().read(hp);
      const mv = await b().read(hm);
      const vv = await b().read(ha);
      const attrs = { size: 50, lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.1, decoupled, step: decoupled ? 2 : 1 };
      b().kernels.AdamUpdate({ param: hp, grad: up(g), m: hm, v: ha }, attrs);
      const q2 = b().readSync!(hp);
      for (let i = 0; i < 50; i++) {
        let gi = g[i]!;
        let pi = q[i]!;
        if (decoupled) pi -= attrs.lr * attrs.weightDecay * pi;
        else gi += attrs.weightDecay * pi;
        const m = 0.9 * mv[i]! + 0.1 * gi;
        const v = 0.999 * vv[i]! + 0.001 * gi * gi;
        const mh = m / (1 - 0.9 ** attrs.step);
        const vh = v / (1 - 0.999 ** attrs.step);
        expect(q2[i]).toBeCloseTo(pi - (attrs.lr * mh) / (Math.sqrt(vh) + 1e-8), 5);
      }
    }
  });
});
