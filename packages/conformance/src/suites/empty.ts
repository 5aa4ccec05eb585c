/**
 * Empty batches (PyTorch's rule): every op takes a batch of 0 and gives an empty result, gradients of
 * parameters are sums over no example (0), a mean over nothing is NaN, the max of nothing and
 * batch-norm training statistics are ShapeErrors. Core answers these without calling a kernel, so no
 * backend sees a zero-size buffer; each check runs through the public ops on the backend under test.
 */
import {
  ShapeError,
  add,
  avgPool2d,
  batchNorm,
  conv2d,
  flatten,
  matMul,
  max,
  maxPool2d,
  mean,
  memory,
  relu,
  softmax,
  softmaxCrossEntropy,
  sum,
  tensor,
  tidy,
  valueAndGrads,
  zeros,
  type Tensor,
} from '@stridenet/core';
import type { Check } from '../harness/check.js';
import { ExpectationError } from './bad-input.js';
import { expectNoLeak } from '../ops-checks.js';

function expectShape(what: string, t: Tensor, shape: readonly number[]): void {
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new ExpectationError(`${what}: shape [${t.shape.join(',')}] but expected [${shape.join(',')}]`);
  }
}

async function expectValues(what: string, t: Tensor, shape: readonly number[], value?: number): Promise<void> {
  expectShape(what, t, shape);
  const v = await t.data();
  if (v.length !== t.size) throw new ExpectationError(`${what}: read ${v.length} values for ${t.size} elements`);
  for (const x of v) {
    if (value === undefined ? true : Number.isNaN(value) ? !Number.isNaN(x) : x !== value) {
      throw new ExpectationError(`${what}: value ${x} but expected ${value ?? 'no values'}`);
    }
  }
}

function check(option: string, title: string, run: () => Promise<void>): Check {
  return {
    group: 'empty',
    kernel: 'empty batch',
    option,
    title,
    elements: 0,
    uses: () => [],
    run: async () => {
      const start = memory().tensors;
      await run();
      expectNoLeak(option, start);
    },
  };
}

function expectShapeError(what: string, f: () => unknown): void {
  let thrown: unknown = null;
  try {
    tidy(() => {
      f();
    });
  } catch (e) {
    thrown = e;
  }
  if (!(thrown instanceof ShapeError)) throw new ExpectationError(`${what}: expected a ShapeError, got ${String(thrown)}`);
}

export function emptyChecks(): Check[] {
  return [
    check('forward ops', 'each op gives an empty result of the right shape', async () => {
      const outs = tidy(() => {
        const x = zeros([0, 2, 6, 6]);
        const w = zeros([3, 2, 3, 3]);
        const rows = tensor([], [0, 4]);
        return [
          [conv2d(x, w, { bias: zeros([3]), activation: 'relu', padding: 1 }), [0, 3, 6, 6]],
          [maxPool2d(x, { window: 3, stride: 2, padding: 1, ceilMode: true }), [0, 2, 4, 4]],
          [avgPool2d(x, { window: 2 }), [0, 2, 3, 3]],
          [flatten(x), [0, 72]],
          [matMul(rows, zeros([4, 5]), { bias: zeros([5]), activation: 'relu' }), [0, 5]],
          [add(rows, tensor([1, 2, 3, 4], [4])), [0, 4]],
          [relu(rows), [0, 4]],
          [softmax(rows), [0, 4]],
          [sum(rows, 1), [0]],
          [batchNorm(x, zeros([2]), zeros([2]), { training: false, mean: zeros([2]), variance: tensor([1, 1], [2]) }).y, [0, 2, 6, 6]],
        ] as [Tensor, number[]][];
      });
      try {
        for (const [t, shape] of outs) await expectValues(`output [${shape.join(',')}]`, t, shape);
      } finally {
        for (const [t] of outs) t.dispose();
      }
    }),
    check('reductions over the empty batch axis', 'sum is 0, mean is NaN (torch.sum / torch.mean), max is a ShapeError', async () => {
      const [s, m] = tidy(() => {
        const rows = zeros([0, 3]);
        return [sum(rows, 0), mean(rows, 0)];
      });
      try {
        await expectValues('sum over axis 0', s!, [3], 0);
        await expectValues('mean over axis 0', m!, [3], NaN);
      } finally {
        s!.dispose();
        m!.dispose();
      }
      expectShapeError('max over an empty axis', () => max(zeros([0, 3]), 0));
      expectShapeError('batch-norm training on an empty batch', () => batchNorm(zeros([0, 2, 3, 3]), zeros([2]), zeros([2]), { training: true }));
    }),
    check('conv, pool, dense, cross-entropy network', 'loss NaN (mean over no example, as PyTorch), every parameter gradient 0', async () => {
      const params = [tensor([0.1, -0.2, 0.3, 0.1, 0.2, -0.1, 0.4, 0.5, -0.3], [1, 1, 3, 3]), tensor([0.1], [1]), tensor(new Float32Array(12).fill(0.5), [3, 4]), tensor([1, 2, 3], [3])];
      const x = zeros([0, 1, 6, 6]);
      const labels = zeros([0, 3]);
      try {
        const { value, grads } = valueAndGrads(() => {
          const [w, b, wd, bd] = params as [Tensor, Tensor, Tensor, Tensor];
          const h = avgPool2d(maxPool2d(conv2d(x, w, { bias: b, activation: 'relu' }), { window: 2 }), { window: 1 });
          return softmaxCrossEntropy(matMul(flatten(h), wd, { transposeB: true, bias: bd }), labels);
        }, params);
        try {
          await expectValues('loss', value, [1], NaN);
          for (let i = 0; i < params.length; i++) await expectValues(`gradient of parameter ${i}`, grads[i]!, params[i]!.shape, 0);
        } finally {
          value.dispose();
          for (const g of grads) g.dispose();
        }
      } finally {
        for (const t of [x, labels, ...params]) t.dispose();
      }
    }),
  ];
}
