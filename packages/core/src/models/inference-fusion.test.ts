import { beforeAll, describe, expect, it } from 'vitest';
import { engine, memory, type Tensor } from '../engine.js';
import { tensor } from '../ops/create.js';
import { mulScalar } from '../ops/elementwise.js';
import { softmaxCrossEntropy } from '../ops/softmax.js';
import { valueAndGrads } from '../autograd/tape.js';
import { Rng } from '../random/philox.js';
import { sizeOf } from '../plans/common.js';
import { Sgd } from '../train/optimizers.js';
import { Add, BatchNorm1D, BatchNorm2D, Conv2D, Dense, Flatten, GlobalAvgPool2D, ReLU } from '../layers/index.js';
import { graph, Sequential, type LayerModel } from './model.js';
import { counting, useCountingCpuBackend } from './kernel-calls.testutil.js';
import { createModel } from './zoo/index.js';

beforeAll(useCountingCpuBackend);

/** Batch-norm statistics and affine parameters away from their identity initial values. */
function perturbBatchNorms(m: LayerModel, rng: Rng): void {
  for (const layer of m.layers) {
    if (!(layer instanceof BatchNorm2D || layer instanceof BatchNorm1D)) continue;
    const c = layer.param('weight').shape[0]!;
    const draw = (scale: number, offset: number) => tensor(rng.normal(c).map((v) => offset + scale * v), [c]);
    layer.param('weight').value = draw(0.3, 1);
    layer.param('bias').value = draw(0.2, 0);
    layer.param('runningMean').value = draw(0.2, 0);
    layer.param('runningVar').value = tensor(rng.normal(c).map((v) => 0.5 + Math.abs(v)), [c]);
  }
}

function input(m: LayerModel, batch: number, rng: Rng): Tensor {
  return tensor(rng.normal(batch * sizeOf(m.inputShape)), [batch, ...m.inputShape]);
}

async function maxDiff(a: Tensor, b: Tensor): Promise<{ diff: number; scale: number }> {
  const [x, y] = [await a.data(), await b.data()];
  let diff = 0;
  let scale = 0;
  x.forEach((v, i) => {
    diff = Math.max(diff, Math.abs(v - y[i]!));
    scale = Math.max(scale, Math.abs(y[i]!));
  });
  return { diff, scale };
}

const ctx = (fuse?: boolean) => ({ training: false, rng: new Rng(0), ...(fuse === undefined ? {} : { fuse }) });

/**
 * Fused and layer-by-layer inference agree; a fused pass runs BatchNormInference only to fold (twice per folded
 * batch norm, on the small weight and bias tensors) when the weights changed, and a second pass keeps nothing new.
 */
async function expectSameAsUnfused(m: LayerModel, x: Tensor, folds: number): Promise<void> {
  const fused = counting(() => m.forward(x, ctx()));
  const plain = counting(() => m.forward(x, ctx(false)));
  const { diff, scale } = await maxDiff(fused.value, plain.value);
  expect(diff).toBeLessThanOrEqual(2e-5 * Math.max(1, scale));
  const batchNorms = m.layers.filter((l) => l instanceof BatchNorm2D || l instanceof BatchNorm1D).length;
  expect(fused.count('BatchNormInference')).toBe(2 * folds + batchNorms - folds);
  expect(plain.count('BatchNormInference')).toBe(batchNorms);
  expect(plain.count('Conv2D')).toBe(fused.count('Conv2D'));
  const first = await fused.value.data();
  fused.value.dispose();
  plain.value.dispose();
  const before = memory().tensors;
  const again = counting(() => m.forward(x, ctx()));
  expect(again.count('BatchNormInference')).toBe(batchNorms - folds);
  expect(await again.value.data()).toEqual(first);
  again.value.dispose();
  expect(memory().tensors).toBe(before);
}

describe('eager inference fusion (LayerModel.forward)', () => {
  it('ResNet-20 gives the layer-by-layer result with its 21 batch norms folded, residual Adds and ReLUs in conv epilogues', async () => {
    const start = memory().tensors;
    const rng = new Rng(1);
    const m = createModel('resnet20', { seed: 1, inputShape: [3, 16, 16] });
    perturbBatchNorms(m, rng);
    const x = input(m, 3, rng);
    await expectSameAsUnfused(m, x, 21);
    const fused = counting(() => m.forward(x, ctx()));
    expect([fused.count('Unary'), fused.count('Binary')]).toEqual([0, 0]);
    fused.value.dispose();
    x.dispose();
    // The folded weights go with the model.
    m.dispose();
    expect(memory().tensors).toBe(start);
  }, 30_000);

  for (const [name, options, folds] of [
    ['resnet18', { numClasses: 10, inputShape: [3, 32, 32] }, 20],
    ['lenet5', {}, 0],
    ['allCnnC', { inputShape: [3, 16, 16] }, 0],
    ['googlenet', { numClasses: 10, inputShape: [3, 64, 64] }, 57],
  ] as const) {
    it(`${name} gives the layer-by-layer result`, async () => {
      const rng = new Rng(2);
      const m = createModel(name, { seed: 2, ...options });
      perturbBatchNorms(m, rng);
      const x = input(m, 2, rng);
      await expectSameAsUnfused(m, x, folds);
      x.dispose();
      m.dispose();
    }, 30_000);
  }

  it('a conv output another layer also reads is not fused away; Dense + BatchNorm1D + ReLU folds', async () => {
    const g = graph([4, 6, 6]);
    const conv = g.add(new Conv2D({ filters: 4, kernelSize: 3, padding: 'same' }), g.input);
    const bn = g.add(new BatchNorm2D(), conv);
    const sum = g.add(new Add(), [bn, conv]);
    const pooled = g.add(new GlobalAvgPool2D(), g.add(new ReLU(), sum));
    const dense = g.add(new Dense({ units: 5 }), pooled);
    const out = g.add(new ReLU(), g.add(new BatchNorm1D(), dense));
    const m = g.build(out, { seed: 3 });
    const rng = new Rng(3);
    perturbBatchNorms(m, rng);
    const x = input(m, 2, rng);
    // Only the Dense folds: the conv's output feeds both the BatchNorm2D and the Add.
    await expectSameAsUnfused(m, x, 1);
    x.dispose();
    m.dispose();
  });

  it('a model with a subclass of a fused layer kind that runs its own forward pass runs layer by layer', async () => {
    class ScaledConv extends Conv2D {
      override call(inputs: readonly Tensor[], c: ReturnType<typeof ctx>): Tensor {
        const y = super.call(inputs, c);
        const z = mulScalar(y, 2);
        y.dispose();
        return z;
      }
    }
    const m = new Sequential([new ScaledConv({ filters: 3, kernelSize: 3 }), new BatchNorm2D(), new ReLU()], { inputShape: [2, 5, 5], seed: 7 });
    const rng = new Rng(7);
    perturbBatchNorms(m, rng);
    const x = input(m, 2, rng);
    const fused = counting(() => m.forward(x, ctx()));
    const plain = m.forward(x, ctx(false));
    expect(fused.count('BatchNormInference')).toBe(1);
    expect(await fused.value.data()).toEqual(await plain.data());
    [x, fused.value, plain].forEach((t) => t.dispose());
    m.dispose();
  });

  it('follows weights changed in place by training and replaced by loading', async () => {
    const start = memory().tensors;
    const rng = new Rng(4);
    const m = new Sequential(
      [new Conv2D({ filters: 4, kernelSize: 3, useBias: false }), new BatchNorm2D(), new ReLU(), new Flatten(), new Dense({ units: 3 })],
      { inputShape: [2, 5, 5], seed: 4 },
    );
    perturbBatchNorms(m, rng);
    const x = input(m, 4, rng);
    await expectSameAsUnfused(m, x, 1);
    const labels = tensor([1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0], [4, 3]);
    const params = m.parameters().filter((p) => p.trainable);
    const optimizer = new Sgd({ lr: 0.5 });
    for (let step = 0; step < 2; step++) {
      // The training pass updates the running statistics in place, the optimizer the weights.
      const { value, grads } = valueAndGrads(() => softmaxCrossEntropy(m.forward(x, { training: true, rng }), labels), params.map((p) => p.value));
      optimizer.step(params, grads);
      [value, ...grads].forEach((t) => t.dispose());
      await expectSameAsUnfused(m, x, 1);
    }
    // A training-mode pass alone writes the running statistics in place; it frees the folded pair at once.
    const kept = memory().tensors;
    m.forward(x, { training: true, rng }).dispose();
    expect(memory().tensors).toBe(kept - 2);
    await expectSameAsUnfused(m, x, 1);
    m.layers.find((l) => l instanceof BatchNorm2D)!.param('weight').value = tensor([2, -1, 0.5, 3], [4]);
    await expectSameAsUnfused(m, x, 1);
    optimizer.dispose();
    [x, labels].forEach((t) => t.dispose());
    m.dispose();
    expect(memory().tensors).toBe(start);
  });

  it('a pass a tape records runs layer by layer and gets the same gradients', async () => {
    const rng = new Rng(5);
    const m = createModel('resnet20', { seed: 5, inputShape: [3, 8, 8] });
    perturbBatchNorms(m, rng);
    const x = input(m, 2, rng);
    const labels = tensor(Array.from({ length: 20 }, (_, i) => (i % 10 === i >> 1 ? 1 : 0)), [2, 10]);
    const values = m.parameters().filter((p) => p.trainable).map((p) => p.value);
    const run = (fuse?: boolean) => counting(() => valueAndGrads(() => softmaxCrossEntropy(m.forward(x, ctx(fuse)), labels), values));
    const taped = run();
    // Every batch norm ran on activations: nothing was folded.
    expect(taped.count('BatchNormInference')).toBe(21);
    const plain = run(false);
    expect(await maxDiff(taped.value.value, plain.value.value)).toMatchObject({ diff: 0 });
    for (const r of [taped, plain]) [r.value.value, ...r.value.grads].forEach((t) => t.dispose());
    [x, labels].forEach((t) => t.dispose());
    m.dispose();
  }, 30_000);

  it('a model with nothing to fuse runs its layers as before; errors inside a fused pass free what it made', () => {
    const m = new Sequential([new Flatten(), new Dense({ units: 2, activation: 'relu' })], { inputShape: [3], seed: 6 });
    const x = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    const y = m.forward(x);
    expect(y.shape).toEqual([2, 2]);
    y.dispose();
    const r = createModel('resnet20', { seed: 6, inputShape: [3, 8, 8] });
    const bad = tensor(new Float32Array(2 * 3 * 8 * 8), [2, 3, 8, 8]);
    r.forward(bad).dispose(); // the folded weights the model keeps
    const before = memory().tensors;
    // A backend failure mid-pass: the fused pass frees its intermediates before the error leaves forward.
    const conv = engine.backend.kernels.Conv2D;
    let n = 0;
    (engine.backend.kernels as Record<string, unknown>).Conv2D = (i: never, a: never) => {
      if (++n === 5) throw new Error('device lost');
      return (conv as (i: never, a: never) => unknown)(i, a);
    };
    try {
      expect(() => r.forward(bad)).toThrow('device lost');
    } finally {
      (engine.backend.kernels as Record<string, unknown>).Conv2D = conv;
    }
    expect(memory().tensors).toBe(before);
    [x, bad].forEach((t) => t.dispose());
    [m, r].forEach((model) => model.dispose());
  });
});

describe('eager inference bookkeeping (s44 per-op floor)', () => {
  it('a disposed model still throws DisposedError naming its first parameter, fused or not, before or after a pass', () => {
    for (const name of ['lenet5', 'resnet20'] as const) {
      for (const ranBefore of [false, true]) {
        const m = createModel(name, { seed: 1 });
        const x = tensor(new Float32Array(sizeOf(m.inputShape)), [1, ...m.inputShape]);
        if (ranBefore) m.forward(x).dispose();
        m.dispose();
        expect(() => m.forward(x)).toThrow(/parameter 'conv1\.weight' was already disposed/);
        x.dispose();
      }
    }
  });

  it('repeated passes of a model that fuses nothing give the same values and leave no tensor behind', async () => {
    const m = createModel('lenet5', { seed: 1 });
    const x = tensor(new Rng(3).normal(2 * sizeOf(m.inputShape)), [2, ...m.inputShape]);
    const y0 = m.forward(x);
    const first = await y0.data();
    y0.dispose();
    const before = engine.liveTensors().size;
    for (let i = 0; i < 3; i++) {
      const y = m.forward(x);
      expect(await y.data()).toEqual(first);
      y.dispose();
    }
    expect(engine.liveTensors().size).toBe(before);
    m.dispose();
    x.dispose();
  });
});
