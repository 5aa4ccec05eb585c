// fit / evaluate / predict on a real @stridenet/datasets Dataset (byte images), loaded from IDX files
// this test writes: the same numbers as the float bridge (datasetToFloat32), and bad input rejected.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCpuBackend } from '@stridenet/cpu-js';
import { channelStats, datasetToFloat32, encodeIdx, loadDataset, type Dataset } from '@stridenet/datasets';
import { ArgumentError, ShapeError } from '../errors.js';
import { memory, setBackend } from '../engine.js';
import { Rng } from '../random/philox.js';
import { evaluate, fit, predict, type EpochLogs, type ImageDataset } from './fit.js';
import { Sgd } from './optimizers.js';
import { TinyModel, weightsOf } from './tiny-model.testutil.js';

let dir: string;
let train: Dataset;
let test: Dataset;

/** Class c brightens quadrant c of a 6x6 image, over byte noise; learnable by TinyModel. */
function writeSplit(target: string, prefix: string, count: number, seed: number, size = 6): void {
  const rng = new Rng(seed);
  const noise = rng.uniform(count * size * size, 0, 90);
  const images = new Uint8Array(count * size * size);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const c = i % 3;
    labels[i] = c;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const quadrant = Math.floor((2 * y) / size) * 2 + Math.floor((2 * x) / size);
        const k = i * size * size + y * size + x;
        images[k] = Math.round(noise[k]!) + (quadrant % 3 === c ? 150 : 0);
      }
    }
  }
  writeFileSync(join(target, `${prefix}-images-idx3-ubyte`), encodeIdx({ dtype: 'uint8', dims: [count, size, size], data: images }));
  writeFileSync(join(target, `${prefix}-labels-idx1-ubyte`), encodeIdx({ dtype: 'uint8', dims: [count], data: labels }));
}

const floats = (ds: Dataset, stats?: { mean: number[]; std: number[] }): ImageDataset => ({
  images: datasetToFloat32(ds, stats),
  labels: ds.labels,
  count: ds.count,
  shape: ds.shape,
  numClasses: ds.numClasses,
});
const strip = (h: EpochLogs[]) => h.map(({ seconds: _s, ...rest }) => rest);

beforeAll(async () => {
  await setBackend(await createCpuBackend());
  dir = mkdtempSync(join(tmpdir(), 'stridenet-core-dataset-'));
  writeSplit(dir, 'train', 48, 1);
  writeSplit(dir, 't10k', 15, 2);
  ({ train, test } = (await loadDataset(dir)) as { train: Dataset; test: Dataset });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fit / evaluate / predict on a @stridenet/datasets Dataset', () => {
  it('loaded the IDX files as bytes', () => {
    expect(train.images).toBeInstanceOf(Uint8Array);
    expect([train.count, test.count, train.numClasses]).toEqual([48, 15, 3]);
    expect(train.shape).toEqual([1, 6, 6]);
  });

  it('trains, validates, evaluates and predicts exactly as on datasetToFloat32(ds, stats)', async () => {
    const stats = channelStats(train);
    const options = { epochs: 3, batchSize: 8, seed: 4, validationData: test };
    const tensorsBefore = memory().tensors;
    const a = new TinyModel(2);
    const b = new TinyModel(2);
    const ra = await fit(a, train, { ...options, optimizer: new Sgd({ lr: 0.1, momentum: 0.9 }), normalize: stats });
    const rb = await fit(b, floats(train, stats), { ...options, optimizer: new Sgd({ lr: 0.1, momentum: 0.9 }), validationData: floats(test, stats) });
    expect(strip(ra.history)).toEqual(strip(rb.history));
    expect(await weightsOf(a)).toEqual(await weightsOf(b));
    expect(ra.history[2]!.valAccuracy).toBeGreaterThan(0.9);

    const ea = await evaluate(a, test, { normalize: stats });
    const eb = await evaluate(b, floats(test, stats));
    expect([ea.loss, ea.accuracy, ea.count]).toEqual([eb.loss, eb.accuracy, eb.count]);
    // Batches smaller than the set, so conversion happens per chunk.
    const pa = await predict(a, test, { normalize: stats, batchSize: 4 });
    const pb = await predict(b, floats(test, stats).images, { batchSize: 4 });
    expect(pa.probabilities).toEqual(pb.probabilities);
    expect(Array.from(pa.classes)).toEqual(Array.from(pb.classes));
    for (const owner of [a, b, ra.optimizer, rb.optimizer]) owner.dispose();
    expect(memory().tensors).toBe(tensorsBefore);
  });

  it('scales bytes by 1/255 when no normalize is given, with a validation split', async () => {
    const a = new TinyModel(3);
    const b = new TinyModel(3);
    const options = { epochs: 2, batchSize: 16, seed: 9, validationSplit: 0.25 };
    const ra = await fit(a, train, options);
    const rb = await fit(b, floats(train), options);
    expect(strip(ra.history)).toEqual(strip(rb.history));
    expect(await weightsOf(a)).toEqual(await weightsOf(b));
    expect((await evaluate(a, test)).loss).toBe((await evaluate(b, floats(test))).loss);
    a.dispose();
    b.dispose();
  });

  it('rejects a dataset whose image shape is not the model input, naming both', async () => {
    const small = mkdtempSync(join(tmpdir(), 'stridenet-core-dataset-'));
    try {
      writeSplit(small, 'train', 6, 3, 4);
      writeSplit(small, 't10k', 3, 4, 4);
      const four = (await loadDataset(small)).train;
      const model = new TinyModel(1);
      const before = await weightsOf(model);
      const call = fit(model, four, { epochs: 1 });
      await expect(call).rejects.toThrow(ShapeError);
      await expect(fit(model, four, { epochs: 1 })).rejects.toThrow("fit: data.shape is [1,4,4] but expected [1,6,6] (model 'tiny' input shape)");
      await expect(evaluate(model, four)).rejects.toThrow('evaluate: data.shape is [1,4,4]');
      await expect(predict(model, four)).rejects.toThrow("predict: input.shape is [1,4,4] but expected [1,6,6] (model 'tiny' input shape)");
      expect(await weightsOf(model)).toEqual(before);
      model.dispose();
    } finally {
      rmSync(small, { recursive: true, force: true });
    }
  });

  it('names the argument, the value and what was expected for bad images and normalize', async () => {
    const model = new TinyModel(1);
    const before = await weightsOf(model);
    const wrongType = { ...train, images: new Int16Array(train.images.length) } as unknown as Dataset;
    await expect(fit(model, wrongType, { epochs: 1 })).rejects.toThrow(ArgumentError);
    await expect(fit(model, wrongType, { epochs: 1 })).rejects.toThrow("fit: data.images is 'a Int16Array' but expected a Float32Array (NCHW floats, used as given) or a Uint8Array");
    const short = { ...train, images: train.images.subarray(1) };
    await expect(fit(model, short, { epochs: 1 })).rejects.toThrow('fit: data.images length is 1727 but expected count * C*H*W = 48 * 36');
    await expect(fit(model, train, { epochs: 1, normalize: { mean: [0.1, 0.2], std: [1, 1] } })).rejects.toThrow(
      'fit: normalize.mean is [0.1,0.2] but expected 1 finite number(s), one per channel of data',
    );
    await expect(fit(model, train, { epochs: 1, normalize: { mean: [0.1], std: [0] } })).rejects.toThrow('fit: normalize.std is [0] but expected positive values');
    await expect(fit(model, floats(train), { epochs: 1, normalize: channelStats(train) })).rejects.toThrow(
      'no normalize when data.images is a Float32Array',
    );
    await expect(fit(model, train, { epochs: 1, validationData: floats(test), normalize: channelStats(train) })).rejects.toThrow(
      'no normalize when validationData.images is a Float32Array',
    );
    await expect(evaluate(model, test, { normalize: { mean: [NaN], std: [1] } })).rejects.toThrow('evaluate: normalize.mean is [NaN]');
    await expect(predict(model, { images: [1, 2, 3] as unknown as Uint8Array })).rejects.toThrow("predict: input.images is 'an Array' but expected");
    await expect(predict(model, { images: new Uint8Array(35) })).rejects.toThrow('predict: images length is 35 but expected a multiple of 36');
    expect(await weightsOf(model)).toEqual(before);
    model.dispose();
  });

  it('keeps its own copy of normalize, so changing the caller\'s arrays mid-run changes nothing', async () => {
    const stats = channelStats(train);
    const a = new TinyModel(5);
    const b = new TinyModel(5);
    const mutable = { mean: [...stats.mean], std: [...stats.std] };
    await fit(a, train, {
      epochs: 1, batchSize: 8, seed: 1, normalize: mutable,
      callbacks: { onBatchEnd: () => void (mutable.mean[0] = 100) },
    });
    await fit(b, train, { epochs: 1, batchSize: 8, seed: 1, normalize: stats });
    expect(await weightsOf(a)).toEqual(await weightsOf(b));
    a.dispose();
    b.dispose();
  });
});
