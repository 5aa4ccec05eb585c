// The float64 reference checked on its own: its backward functions against float64 finite
// differences of its forward functions (a much tighter bound than float32 backends get), and the
// softmax gradients against PyTorch (the other golden tensors are checked through the suite).
import { describe, expect, it } from 'vitest';
import { planChannel, planConv2d, planMatMul, planPool2d, planRows, planBroadcast, planReduce } from '@stridenet/core';
import * as ref from './index.js';
import { goldenCases } from '../golden/index.js';
import { directionalCheck } from '../harness/gradcheck.js';
import { compare } from '../harness/compare.js';
import { distinct, uniform } from '../harness/data.js';

const EPS64 = 2 ** -52;

/** Directional check in float64: step 1e-5, bound 1e-7 relative (central differences are O(h^2)). */
async function check64(key: string, inputs: Float32Array[], grads: (ArrayLike<number> | null)[], r: ArrayLike<number>, forward: (xs: Float32Array[]) => ArrayLike<number>, h = 1e-5) {
  // Perturbations are rounded to float32 by the harness; with h = 1e-5 that is still exact to ~1e-12.
  return directionalCheck({ key, inputs, grads, r, h, rtol: 1e-7, eps: EPS64, forward: async (xs) => forward(xs) });
}

describe('float64 reference gradients vs finite differences', () => {
  it('conv2d backprops (groups 2, dilation 2, stride 2, asymmetric padding)', async () => {
    const plan = planConv2d([2, 4, 9, 8], [6, 2, 3, 3], { groups: 2, dilation: 2, stride: 2, padding: [1, 2, 0, 1] });
    const x = uniform('ref/conv/x', 2 * 4 * 9 * 8);
    const w = uniform('ref/conv/w', 6 * 2 * 9);
    const b = uniform('ref/conv/b', 6);
    const dy = uniform('ref/conv/dy', plan.outShape.reduce((a, c) => a * c, 1));
    const grads = [ref.conv2dBackpropInput(dy, w, plan), ref.conv2dBackpropFilter(x, dy, plan), ref.biasAddGrad(dy, planChannel('t', plan.outShape, 6))];
    await check64('ref/conv', [x, w, b], grads, dy, ([xi, wi, bi]) => ref.conv2d(xi!, wi!, bi!, plan));
  });

  it('pool gradients (max with ceil mode and padding, average without padded cells)', async () => {
    const plan = planPool2d([1, 2, 7, 8], { window: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false });
    const x = distinct('ref/pool/x', 112);
    const dy = uniform('ref/pool/dy', plan.outShape.reduce((a, c) => a * c, 1));
    await check64('ref/maxpool', [x], [ref.maxPool2dGrad(dy, x, plan)], dy, ([xi]) => ref.maxPool2d(xi!, plan));
    await check64('ref/avgpool', [x], [ref.avgPool2dGrad(dy, plan)], dy, ([xi]) => ref.avgPool2d(xi!, plan));
  });

  it('matMul with both transposes and bias', async () => {
    const plan = planMatMul([5, 3], [4, 5], true, true);
    const a = uniform('ref/mm/a', 15);
    const b = uniform('ref/mm/b', 20);
    const bias = uniform('ref/mm/bias', 4);
    const dc = uniform('ref/mm/dc', 12);
    const g = ref.matMulGrad(dc, a, b, plan);
    await check64('ref/mm', [a, b, bias], [g.da, g.db, g.dbias], dc, ([ai, bi, ci]) => ref.matMul(ai!, bi!, ci!, plan));
  });

  it('binary ops with broadcasting, unary ops, reductions', async () => {
    const plan = planBroadcast('div', [2, 3, 4], [3, 1]);
    const a = uniform('ref/bin/a', 24);
    const b = uniform('ref/bin/b', 3, 0.5, 2);
    const dy = uniform('ref/bin/dy', 24);
    for (const op of ['add', 'sub', 'mul', 'div'] as const) {
      const g = ref.binaryGrad(op, dy, a, b, plan);
      await check64(`ref/bin/${op}`, [a, b], [g.da, g.db], dy, ([ai, bi]) => ref.binary(op, ai!, bi!, plan));
    }
    const x = uniform('ref/un/x', 24, 0.5, 2);
    for (const op of ['leakyRelu', 'elu', 'sigmoid', 'tanh', 'exp', 'log', 'sqrt', 'neg', 'square', 'relu'] as const) {
      const y = ref.unary(op, x, 0.3);
      await check64(`ref/un/${op}`, [x], [ref.unaryGrad(op, dy, x, y, 0.3)], dy, ([xi]) => ref.unary(op, xi!, 0.3));
    }
    const rp = planReduce(2, 3, 4);
    const xd = distinct('ref/red/x', 24);
    const dr = uniform('ref/red/dy', 8);
    for (const op of ['sum', 'mean', 'max'] as const) {
      await check64(`ref/red/${op}`, [xd], [ref.reduceGrad(op, dr, xd, rp)], dr, ([xi]) => ref.reduce(op, xi!, rp));
    }
  });

  it('softmax, log-softmax, cross-entropy with smoothed labels, batch norm', async () => {
    const plan = planRows('t', [3, 5]);
    const x = uniform('ref/sm/x', 15, -3, 3);
    const dy = uniform('ref/sm/dy', 15);
    for (const log of [false, true]) {
      await check64(`ref/sm/${log}`, [x], [ref.softmaxGrad(dy, x, plan, log)], dy, ([xi]) => ref.softmax(xi!, plan, log));
    }
    const labels = Float32Array.from({ length: 15 }, (_, i) => (i % 5 === i % 3 ? 0.9 : 0.1 / 4));
    const dl = uniform('ref/ce/dl', 3);
    await check64('ref/ce', [x, labels], [ref.softmaxCrossEntropyGrad(dl, x, labels, plan), null], dl, ([xi]) => ref.softmaxCrossEntropy(xi!, labels, plan));
    const cp = planChannel('t', [3, 2, 2, 2], 2);
    const bx = uniform('ref/bn/x', 24, -2, 3);
    const gamma = uniform('ref/bn/g', 2, 0.5, 1.5);
    const beta = uniform('ref/bn/b', 2);
    const bdy = uniform('ref/bn/dy', 24);
    const t = ref.batchNormTrain(bx, gamma, beta, cp, 1e-5);
    const g = ref.batchNormGrad(bdy, bx, gamma, t.mean, t.variance, cp, 1e-5);
    await check64('ref/bn', [bx, gamma, beta], [g.dx, g.dgamma, g.dbeta], bdy, ([xi, gi, bi]) => ref.batchNormTrain(xi!, gi!, bi!, cp, 1e-5).y);
  });
});

describe('float64 reference vs PyTorch', () => {
  it('softmax and log-softmax gradients', () => {
    const cases = goldenCases('softmax');
    expect(cases.length).toBe(2);
    for (const g of cases) {
      const t = (n: string) => g.tensors[n]!.data;
      const plan = planRows('softmax', g.tensors.x!.shape);
      expect(compare(ref.softmax(t('x'), plan, g.params.log), t('y')).error).toBeLessThan(1e-6);
      expect(compare(ref.softmaxGrad(t('dy'), t('x'), plan, g.params.log), t('dx')).error).toBeLessThan(1e-6);
    }
  });
});
