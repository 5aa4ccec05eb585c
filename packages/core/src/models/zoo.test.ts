import { beforeAll, describe, expect, it } from 'vitest';
import { createCpuBackend } from '@stridenet/cpu-js';
import fixture from './fixtures/param-counts.json' with { type: 'json' };
import { memory, setBackend } from '../engine.js';
import { tensor } from '../ops/create.js';
import { softmaxCrossEntropy } from '../ops/softmax.js';
import { valueAndGrads } from '../autograd/tape.js';
import { Rng } from '../random/philox.js';
import { sizeOf } from '../plans/common.js';
import { ArgumentError } from '../errors.js';
import { createModel, modelNames } from './zoo/index.js';
import { poolToStridedConv } from './transform.js';
import type { LayerModel } from './model.js';

beforeAll(async () => {
  await setBackend(await createCpuBackend());
});

/**
 * Reduced configurations that keep the whole file well under a minute on 2 vCPUs. `fixture` names
 * the PyTorch count the run model must have (the same definition, counted by tools/models/param_counts.py).
 */
const runs: { model: string; fixture?: string; options: Record<string, unknown>; batch: number }[] = [
  { model: 'lenet5', fixture: 'lenet5', options: {}, batch: 4 },
  { model: 'ccpccp', fixture: 'ccpccp', options: {}, batch: 2 },
  { model: 'cnnC', fixture: 'cnnC', options: { inputShape: [3, 16, 16] }, batch: 1 },
  { model: 'stridedCnnC', fixture: 'stridedCnnC', options: { inputShape: [3, 16, 16] }, batch: 1 },
  { model: 'convPoolCnnC', fixture: 'convPoolCnnC', options: { inputShape: [3, 16, 16] }, batch: 1 },
  { model: 'allCnnC', fixture: 'allCnnC', options: { inputShape: [3, 16, 16] }, batch: 1 },
  { model: 'alexnet', fixture: 'alexnet-small', options: { numClasses: 10, hiddenUnits: 64, inputShape: [3, 64, 64] }, batch: 1 },
  { model: 'vgg11', fixture: 'vgg11-small', options: { numClasses: 10, hiddenUnits: 64, inputShape: [3, 32, 32] }, batch: 1 },
  { model: 'vgg16', fixture: 'vgg16-small', options: { numClasses: 10, hiddenUnits: 64, inputShape: [3, 32, 32] }, batch: 1 },
  { model: 'googlenet', fixture: 'googlenet-small', options: { numClasses: 10, inputShape: [3, 64, 64] }, batch: 1 },
  { model: 'resnet20', fixture: 'resnet20', options: { inputShape: [3, 16, 16] }, batch: 2 },
  { model: 'resnet18', fixture: 'resnet18-small', options: { numClasses: 10, inputShape: [3, 32, 32] }, batch: 2 },
];

async function forwardBackward(m: LayerModel, batch: number) {
  const rng = new Rng(9);
  const classes = m.outputShape[0]!;
  const x = tensor(rng.normal(batch * sizeOf(m.inputShape)), [batch, ...m.inputShape]);
  const onehot = new Float32Array(batch * classes);
  for (let i = 0; i < batch; i++) onehot[i * classes + ((i * 7) % classes)] = 1;
  const labels = tensor(onehot, [batch, classes]);
  const trainable = m.parameters().filter((p) => p.trainable);
  const values = trainable.map((p) => p.value);
  m.parameters().forEach((p) => p.value); // buffers too, so the count below sees only new tensors
  const before = memory().tensors;
  const { value, grads } = valueAndGrads(() => softmaxCrossEntropy(m.forward(x, { training: true, rng }), labels), values);
  const loss = (await value.data())[0]!;
  expect(grads.map((g) => g.shape)).toEqual(values.map((v) => v.shape));
  let nonzero = 0;
  for (const g of grads) {
    const d = await g.data();
    expect(d.every(Number.isFinite)).toBe(true);
    if (d.some((v) => v !== 0)) nonzero++;
  }
  // Only loss and gradients survive (running statistics are replaced, not added).
  expect(memory().tensors).toBe(before + 1 + grads.length);
  [value, ...grads, x, labels].forEach((t) => t.dispose());
  return { loss, nonzero, count: grads.length };
}

describe('every zoo model trains forward and backward on cpu-js', () => {
  it('runs cover the whole zoo', () => {
    expect([...new Set(runs.map((r) => r.model))].sort()).toEqual(modelNames().sort());
  });

  for (const run of runs) {
    it(`${run.model} ${JSON.stringify(run.options)} batch ${run.batch}`, async () => {
      const start = memory().tensors;
      const m = createModel(run.model, { seed: 1, ...run.options });
      const want = (fixture.counts as Record<string, { trainable: number; buffers: number }>)[run.fixture!]!;
      expect(m.countParams()).toMatchObject({ trainable: want.trainable, nonTrainable: want.buffers });
      const materialized = m.parameters().reduce((n, p) => n + (p.trainable ? p.value.size : 0), 0);
      expect(materialized).toBe(want.trainable);
      const { loss, nonzero, count } = await forwardBackward(m, run.batch);
      expect(Number.isFinite(loss)).toBe(true);
      expect(loss).toBeGreaterThan(0);
      // ReLU before the C models' global pooling can silence a few filters at init; most layers get signal.
      expect(nonzero).toBeGreaterThan(count * 0.5);
      m.dispose();
      expect(memory().tensors).toBe(start);
    }, 30_000);
  }

  it('poolToStridedConv output trains too', async () => {
    const m = poolToStridedConv(createModel('lenet5', { seed: 2 }), { seed: 3 });
    expect(m.countParams().trainable).toBe(61_706 + (6 * 6 * 4 + 6) + (16 * 16 * 4 + 16));
    const { loss } = await forwardBackward(m, 2);
    expect(Number.isFinite(loss)).toBe(true);
    m.dispose();
  });
});

describe('createModel pretrained', () => {
  it('refuses pretrained with the package and function that provide it, building nothing', () => {
    const start = memory().tensors;
    const call = () => createModel('lenet5', { pretrained: 'fashion-mnist' } as never);
    expect(call).toThrow(ArgumentError);
    expect(call).toThrow(
      "createModel: pretrained is 'fashion-mnist' but expected no pretrained option: pretrained weights ship in the package @stridenet/weights; use `const { model } = await createPretrained(\"lenet5\", \"fashion-mnist\")` from it",
    );
    expect(memory().tensors).toBe(start);
  });
});
