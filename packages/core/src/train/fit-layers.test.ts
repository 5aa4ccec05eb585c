// fit with the real layers and zoo: batch-norm buffers and dropout inside the training step,
// leak-free steps, exact resume including running statistics.
import { beforeAll, describe, expect, it } from 'vitest';
import { createCpuBackend } from '@stridenet/cpu-js';
import { memory, setBackend } from '../engine.js';
import { Conv2D } from '../layers/conv.js';
import { Dense, Dropout, Flatten, ReLU } from '../layers/core.js';
import { BatchNorm2D } from '../layers/normalization.js';
import { MaxPool2D } from '../layers/pool.js';
import { Sequential } from '../models/model.js';
import { lenet5 } from '../models/zoo/index.js';
import { decodeCheckpoint, encodeCheckpoint, restoreCheckpoint } from '../io/checkpoint.js';
import type { Model } from '../models/types.js';
import { fit, type FitOptions, type TrainState } from './fit.js';
import { Sgd } from './optimizers.js';
import { syntheticData } from './tiny-model.testutil.js';

beforeAll(async () => {
  await setBackend(await createCpuBackend());
});

const bnNet = (seed: number) =>
  new Sequential(
    [
      new Conv2D({ name: 'conv', filters: 4, kernelSize: 3, padding: 1 }),
      new BatchNorm2D({ name: 'bn' }),
      new ReLU({ name: 'relu' }),
      new MaxPool2D({ name: 'pool', window: 2 }),
      new Flatten({ name: 'flat' }),
      new Dropout({ name: 'drop', rate: 0.25 }),
      new Dense({ name: 'fc', units: 3 }),
    ],
    { inputShape: [1, 6, 6], seed, name: 'bn-net' },
  );

const weights = (m: Model) => Promise.all(m.parameters().map(async (p) => [p.name, Array.from(await p.value.data())] as const));

describe('fit with layers', () => {
  it('batch norm + dropout: no tensor leak per step, running stats updated, exact resume', async () => {
    const data = syntheticData(30);
    const options = (): FitOptions => ({ epochs: 2, batchSize: 8, seed: 4, validationSplit: 0.2, optimizer: new Sgd({ lr: 0.05, momentum: 0.9 }) });

    const straight = bnNet(1);
    const startMean = Array.from(await straight.parameters().find((p) => p.name === 'bn.runningMean')!.value.data());
    const counts: number[] = [];
    const r = await fit(straight, data, { ...options(), callbacks: { onBatchEnd: () => void counts.push(memory().tensors) } });
    expect(counts).toHaveLength(6);
    expect(new Set(counts.slice(1)).size).toBe(1);
    expect(counts[0]).toBe(counts[1]);
    const mean = Array.from(await straight.parameters().find((p) => p.name === 'bn.runningMean')!.value.data());
    expect(mean).not.toEqual(startMean);

    const half = bnNet(1);
    const halfOpt = new Sgd({ lr: 0.05, momentum: 0.9 });
    let bytes: Uint8Array | null = null;
    const save = async (state: TrainState) => {
      bytes = await encodeCheckpoint({ model: half, optimizer: halfOpt, state });
      return 'stop' as const;
    };
    await fit(half, data, { ...options(), optimizer: halfOpt, callbacks: { onBatchEnd: (i) => (i.step === 4 ? save(i.state) : undefined) } });
    const resumed = bnNet(2);
    const restored = restoreCheckpoint(decodeCheckpoint(bytes!, 'bn.ckpt'), resumed);
    const r2 = await fit(resumed, data, { ...options(), optimizer: restored.optimizer!, resume: restored.state! });
    expect(r2.state.step).toBe(6);
    expect(await weights(resumed)).toEqual(await weights(straight));
    for (const x of [r.optimizer, halfOpt, r2.optimizer]) x.dispose();
    for (const m of [straight, half, resumed]) m.dispose();
  });

  it('trains the zoo LeNet-5 without leaking', async () => {
    const count = 32;
    const d = syntheticData(count * 2, 10, 3);
    // Upsample the 6x6 synthetic images to LeNet's 28x28 by nearest neighbour.
    const images = new Float32Array(count * 784);
    for (let i = 0; i < count; i++) for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) images[i * 784 + y * 28 + x] = d.images[i * 36 + Math.floor(y / 5) * 6 + Math.floor(x / 5)]!;
    const data = { images, labels: d.labels.slice(0, count), count, shape: [1, 28, 28], numClasses: 10 };
    const model = lenet5({ seed: 0 });
    const counts: number[] = [];
    const r = await fit(model, data, { epochs: 2, batchSize: 8, optimizer: new Sgd({ lr: 0.05, momentum: 0.9 }), callbacks: { onBatchEnd: () => void counts.push(memory().tensors) } });
    expect(new Set(counts).size).toBe(1);
    expect(r.history[1]!.loss).toBeLessThan(r.history[0]!.loss);
    r.optimizer.dispose();
    model.dispose();
  });
});
