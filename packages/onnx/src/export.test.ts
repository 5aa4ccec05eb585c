import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCpuBackend } from '@stridenet/cpu-js';
import {
  ArgumentError,
  AvgPool1D,
  AvgPool2D,
  BatchNorm1D,
  Concat,
  Conv1D,
  Conv2D,
  Dense,
  ELU,
  Flatten,
  GlobalMaxPool1D,
  LeakyReLU,
  MaxPool2D,
  Rng,
  Sequential,
  Sigmoid,
  Softmax,
  Tanh,
  UnknownOptionError,
  createModel,
  graph,
  setBackend,
  tensor,
  type LayerModel,
} from '@stridenet/core';
import { exportOnnx } from './index.js';

interface Ort {
  InferenceSession: { create(b: Uint8Array): Promise<{ run(feeds: Record<string, unknown>): Promise<Record<string, { data: Float32Array; dims: readonly number[] }>> }> };
  Tensor: new (type: string, data: Float32Array, dims: number[]) => unknown;
}
const ort = createRequire(import.meta.url)('onnxruntime-node') as Ort;

beforeAll(async () => {
  await setBackend(await createCpuBackend());
});

/** Runs the model here and its export in ONNX Runtime on the same batch; returns max |diff| / max(1, max |ours|). */
async function compare(model: LayerModel, batch: number, options: Parameters<typeof exportOnnx>[1] = {}): Promise<number> {
  const size = model.inputShape.reduce((a, b) => a * b, 1);
  const input = new Rng(11).normal(batch * size);
  const x = tensor(input, [batch, ...model.inputShape]);
  const y = model.forward(x, { training: false, rng: new Rng(0) });
  const ours = await y.data();
  x.dispose();
  y.dispose();
  const session = await ort.InferenceSession.create(await exportOnnx(model, options));
  const out = (await session.run({ input: new ort.Tensor('float32', input, [batch, ...model.inputShape]) })).output!;
  expect([...out.dims]).toEqual([batch, ...model.outputShape]);
  let diff = 0;
  let scale = 1;
  ours.forEach((v, i) => {
    diff = Math.max(diff, Math.abs(v - out.data[i]!));
    scale = Math.max(scale, Math.abs(v));
  });
  return diff / scale;
}

/** The zoo at the reduced sizes of core's zoo test. */
const zoo: { model: string; options: Record<string, unknown>; batch: number }[] = [
  { model: 'lenet5', options: {}, batch: 3 },
  { model: 'lenet5', options: { activation: 'tanh', pooling: 'avg' }, batch: 2 },
  { model: 'ccpccp', options: {}, batch: 2 },
  { model: 'cnnC', options: { inputShape: [3, 16, 16] }, batch: 1 },
  { model: 'stridedCnnC', options: { inputShape: [3, 16, 16] }, batch: 1 },
  { model: 'convPoolCnnC', options: { inputShape: [3, 16, 16] }, batch: 1 },
  { model: 'allCnnC', options: { inputShape: [3, 16, 16] }, batch: 1 },
  { model: 'alexnet', options: { numClasses: 10, hiddenUnits: 64, inputShape: [3, 64, 64] }, batch: 1 },
  { model: 'vgg11', options: { numClasses: 10, hiddenUnits: 64, inputShape: [3, 32, 32] }, batch: 1 },
  { model: 'vgg16', options: { numClasses: 10, hiddenUnits: 64, inputShape: [3, 32, 32] }, batch: 1 },
  { model: 'googlenet', options: { numClasses: 10, inputShape: [3, 64, 64] }, batch: 1 },
  { model: 'resnet20', options: { inputShape: [3, 16, 16] }, batch: 2 },
  { model: 'resnet18', options: { numClasses: 10, inputShape: [3, 32, 32] }, batch: 2 },
];

describe('exportOnnx: the zoo in ONNX Runtime', () => {
  for (const run of zoo) {
    it(`${run.model} ${JSON.stringify(run.options)} matches within 1e-4`, async () => {
      const model = createModel(run.model, { ...run.options, seed: 5 }) as LayerModel;
      // Batch-norm statistics away from 0 / 1, so that exporting them wrongly shows.
      const rng = new Rng(3);
      for (const p of model.parameters()) {
        if (p.name.endsWith('.runningMean')) p.value = tensor(rng.normal(p.value.size, 0, 0.1), p.value.shape);
        if (p.name.endsWith('.runningVar')) p.value = tensor(rng.uniform(p.value.size, 0.5, 1.5), p.value.shape);
      }
      expect(await compare(model, run.batch)).toBeLessThan(1e-4);
      model.dispose();
    });
  }
});

describe('exportOnnx: layers and options', () => {
  it('1D layers, ceil mode, count_include_pad, activations, concat, softmax; opsets 11 and 17; fixed batch', async () => {
    const g = graph([4, 20]);
    const a = g.add(new Conv1D({ name: 'c1', filters: 6, kernelSize: 3, padding: 'same', dilation: 2 }), g.input);
    const b = g.add(new BatchNorm1D({ name: 'bn' }), a);
    const c = g.add(new ELU({ name: 'elu', alpha: 0.7 }), b);
    const d = g.add(new Conv1D({ name: 'c2', filters: 6, kernelSize: 5, stride: 2, padding: [2, 3], groups: 2 }), g.input);
    const e = g.add(new LeakyReLU({ name: 'lrelu', alpha: 0.2 }), d);
    const p1 = g.add(new AvgPool1D({ name: 'p1', window: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false }), c);
    const cat = g.add(new Concat({ name: 'cat', axis: 1 }), [p1, e]);
    const gm = g.add(new GlobalMaxPool1D({ name: 'gmax' }), cat);
    const fc = g.add(new Dense({ name: 'fc', units: 5 }), gm);
    const sm = g.add(new Softmax({ name: 'softmax' }), fc);
    const model = g.build(sm, { name: 'oned', seed: 2 });
    expect(await compare(model, 3)).toBeLessThan(1e-4);
    expect(await compare(model, 2, { opset: 11 })).toBeLessThan(1e-4);
    expect(await compare(model, 2, { opset: 17, dynamicBatch: false, batchSize: 2 })).toBeLessThan(1e-4);
    model.dispose();

    const two = new Sequential(
      [
        new Conv2D({ name: 'c', filters: 4, kernelSize: [3, 2], padding: [1, 0, 2, 1], stride: [2, 1], activation: 'relu' }),
        new MaxPool2D({ name: 'mp', window: 3, stride: 2, ceilMode: true }),
        new AvgPool2D({ name: 'ap', window: 2, padding: 1, countIncludePad: true }),
        new Tanh({ name: 't' }),
        new Flatten({ name: 'f' }),
        new Dense({ name: 'd', units: 3, activation: 'relu' }),
        new Sigmoid({ name: 's' }),
      ],
      { name: 'twod', inputShape: [2, 13, 11], seed: 4 },
    );
    expect(await compare(two, 2)).toBeLessThan(1e-4);
    two.dispose();
  });

  it('checks its options', async () => {
    const model = createModel('lenet5', { seed: 1 }) as LayerModel;
    await expect(exportOnnx(model, { opset: 9 })).rejects.toThrow(/exportOnnx: opset is 9 but expected an integer from 11 to 21/);
    await expect(exportOnnx(model, { dynamicBatch: 'yes' as never })).rejects.toThrow(ArgumentError);
    await expect(exportOnnx(model, { batch: 2 } as never)).rejects.toThrow(UnknownOptionError);
    model.dispose();
  });
});
