import { beforeAll, describe, expect, it } from 'vitest';
import { memory, type Tensor } from '../engine.js';
import { tensor } from '../ops/create.js';
import { softmaxCrossEntropy } from '../ops/softmax.js';
import { valueAndGrads } from '../autograd/tape.js';
import { Rng } from '../random/philox.js';
import { sizeOf } from '../plans/common.js';
import { BatchNorm2D, Conv2D, ReLU } from '../layers/index.js';
import { Sequential, type LayerModel } from './model.js';
import { counting, useCountingCpuBackend } from './kernel-calls.testutil.js';
import { createModel } from './zoo/index.js';

beforeAll(useCountingCpuBackend);

async function sameBits(a: Tensor, b: Tensor): Promise<boolean> {
  const [x, y] = [await a.data(), await b.data()];
  return x.length === y.length && x.every((v, i) => Object.is(v, y[i]));
}

/** A training pass's loss and parameter gradients under a tape, fused (default) or layer by layer. */
function step(m: LayerModel, x: Tensor, labels: Tensor, fuse?: boolean) {
  const values = m.parameters().filter((p) => p.trainable).map((p) => p.value);
  const ctx = { training: true, rng: new Rng(3), ...(fuse === undefined ? {} : { fuse }) };
  return counting(() => valueAndGrads(() => softmaxCrossEntropy(m.forward(x, ctx), labels), values));
}

describe('eager training fusion', () => {
  it('a training pass runs batch norm with its residual Add and ReLU as one op: same loss, gradients and running statistics', async () => {
    const rng = new Rng(9);
    const [a, b] = [createModel('resnet20', { seed: 4, inputShape: [3, 8, 8] }), createModel('resnet20', { seed: 4, inputShape: [3, 8, 8] })];
    const x = tensor(rng.normal(2 * sizeOf(a.inputShape)), [2, ...a.inputShape]);
    const labels = tensor(Array.from({ length: 20 }, (_, i) => (i % 10 === 3 + (i >> 3) ? 1 : 0)), [2, 10]);
    // Parameters are created on first use: create them before counting.
    [a, b].forEach((m) => m.parameters().forEach((p) => p.value));
    const before = memory().tensors;
    const fused = step(a, x, labels);
    const plain = step(b, x, labels, false);
    // 21 batch norms; 19 ReLUs and 9 Adds run inside them instead of as kernels of their own.
    expect(fused.count('BatchNormTrain')).toBe(21);
    expect(plain.count('BatchNormTrain')).toBe(21);
    expect(plain.count('Unary') - fused.count('Unary')).toBe(19);
    expect(plain.count('Binary') - fused.count('Binary')).toBe(9);
    expect(await sameBits(fused.value.value, plain.value.value)).toBe(true);
    for (const [i, g] of fused.value.grads.entries()) expect(await sameBits(g, plain.value.grads[i]!)).toBe(true);
    const [pa, pb] = [a.parameters(), b.parameters()];
    for (const [i, p] of pa.entries()) if (!p.trainable) expect(await sameBits(p.value, pb[i]!.value)).toBe(true);
    for (const r of [fused, plain]) [r.value.value, ...r.value.grads].forEach((t) => t.dispose());
    // Nothing but the two results (already freed) outlives the pass.
    expect(memory().tensors).toBe(before);
    [x, labels].forEach((t) => t.dispose());
    a.dispose();
    b.dispose();
  }, 30_000);

  it('an inference pass under a tape and a model with nothing to fuse run layer by layer', () => {
    const m = createModel('resnet20', { seed: 5, inputShape: [3, 8, 8] });
    const x = tensor(new Rng(2).normal(2 * 3 * 8 * 8), [2, 3, 8, 8]);
    const labels = tensor(Array.from({ length: 20 }, (_, i) => (i % 11 === 0 ? 1 : 0)), [2, 10]);
    const values = m.parameters().filter((p) => p.trainable).map((p) => p.value);
    const taped = counting(() => valueAndGrads(() => softmaxCrossEntropy(m.forward(x, { training: false, rng: new Rng(0) }), labels), values));
    expect(taped.count('BatchNormTrain')).toBe(0);
    expect(taped.count('Unary')).toBeGreaterThanOrEqual(19);
    [taped.value.value, ...taped.value.grads].forEach((t) => t.dispose());
    // Conv2D -> BatchNorm -> ReLU where the ReLU also feeds the output: the batch norm's value has a second reader.
    const s = new Sequential([new Conv2D({ filters: 2, kernelSize: 1 }), new BatchNorm2D(), new ReLU()], { inputShape: [3, 8, 8], seed: 1 });
    const r = counting(() => s.forward(x, { training: true, rng: new Rng(0) }));
    expect(r.count('BatchNormTrain')).toBe(1);
    expect(r.count('Unary')).toBe(0);
    r.value.dispose();
    [x, labels].forEach((t) => t.dispose());
    m.dispose();
    s.dispose();
  });
});
