import { Rng } from '@stridenet/core';
import { describe, expect, it } from 'vitest';
import { randomHorizontalFlip } from './augment.js';
import { batchCount, batches, epochOrder } from './batches.js';
import { classCounts, createDataset, split, subset, type Dataset } from './dataset.js';
import { channelStats, datasetToFloat32, normalizeChannels, toFloat32 } from './normalize.js';

function toy(count: number, numClasses = 4): Dataset {
  const images = new Uint8Array(count * 2 * 2 * 3);
  for (let i = 0; i < images.length; i++) images[i] = (i * 7) % 256;
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) labels[i] = i % numClasses;
  return createDataset({ images, labels, shape: [2, 2, 3], numClasses, source: 'toy' });
}

describe('dataset helpers', () => {
  it('createDataset checks sizes and labels', () => {
    expect(() => createDataset({ images: new Uint8Array(11), labels: new Int32Array(1), shape: [1, 3, 4], numClasses: 2, source: 's' })).toThrow(
      /images.length is 11 but expected labels.length \* C\*H\*W = 1 \* 12 = 12/,
    );
    expect(() => createDataset({ images: new Uint8Array(12), labels: Int32Array.from([2]), shape: [1, 3, 4], numClasses: 2, source: 's' })).toThrow(
      /labels\[0\] is 2 but expected a class index in 0..1/,
    );
    expect(() => createDataset({ images: new Uint8Array(12), labels: Int32Array.from([0]), shape: [1, 3, 0], numClasses: 2, source: 's' })).toThrow(/shape is \[1,3,0\]/);
  });

  it('subset copies the chosen examples, by indices or range', () => {
    const ds = toy(10);
    const s = subset(ds, [7, 2, 2]);
    expect(Array.from(s.labels)).toEqual([3, 2, 2]);
    expect(s.images.subarray(0, 12)).toEqual(ds.images.subarray(7 * 12, 8 * 12));
    expect(subset(ds, { start: 8 }).count).toBe(2);
    expect(() => subset(ds, [10])).toThrow(/indices\[0\] is 10 but expected an integer in 0..9/);
    expect(() => subset(ds, { start: 5, end: 4 })).toThrow(/range is \[5,4\]/);
  });

  it('split is deterministic, disjoint, complete and stratified', () => {
    const ds = toy(100);
    const a = split(ds, 0.2, { seed: 4 });
    const b = split(ds, 0.2, { seed: 4 });
    expect(a.validation.images).toEqual(b.validation.images);
    expect(a.train.count + a.validation.count).toBe(100);
    expect(Array.from(classCounts(a.validation))).toEqual([5, 5, 5, 5]);
    const c = split(ds, 0.2, { seed: 5 });
    expect(c.validation.images).not.toEqual(a.validation.images);
    const plain = split(ds, 0.3, { stratified: false });
    expect(plain.validation.count).toBe(30);
    expect(() => split(ds, 1)).toThrow(/validationFraction is 1 but expected a number strictly between 0 and 1/);
    expect(() => split(toy(1), 0.5)).toThrow(/leaving both parts non-empty/);
  });
});

describe('normalisation', () => {
  it('scales bytes to [0, 1] and standardises channels', () => {
    expect(Array.from(toFloat32(Uint8Array.from([0, 51, 255])))).toEqual([0, 51 / 255, 1].map(Math.fround));
    const ds = toy(30);
    const stats = channelStats(ds);
    const x = datasetToFloat32(ds, stats);
    for (let c = 0; c < 2; c++) {
      let s = 0;
      let s2 = 0;
      for (let n = 0; n < 30; n++) for (let i = 0; i < 6; i++) {
        const v = x[n * 12 + c * 6 + i]!;
        s += v;
        s2 += v * v;
      }
      expect(s / 180).toBeCloseTo(0, 5);
      expect(s2 / 180).toBeCloseTo(1, 4);
    }
    expect(() => normalizeChannels(new Float32Array(12), [2, 2, 3], { mean: [0], std: [1] })).toThrow(/one per channel/);
    expect(() => normalizeChannels(new Float32Array(12), [2, 2, 3], { mean: [0, 0], std: [1, 0] })).toThrow(/std is \[1,0\] but expected positive values/);
  });
});

describe('batches', () => {
  const ds = toy(23);

  it('same seed same order; each epoch a different permutation of all examples', () => {
    const run = (seed: number, epoch: number) => [...batches(ds, { batchSize: 5, seed, epoch })].map((b) => Array.from(b.indices));
    expect(run(1, 0)).toEqual(run(1, 0));
    expect(run(1, 1)).not.toEqual(run(1, 0));
    expect(run(2, 0)).not.toEqual(run(1, 0));
    const flat = run(1, 3).flat();
    expect([...flat].sort((a, b) => a - b)).toEqual([...Array(23).keys()]);
    expect(Array.from(epochOrder(5, { shuffle: false }))).toEqual([0, 1, 2, 3, 4]);
  });

  it('gathers images and labels for the indices, as floats in [0, 1]', () => {
    const all = [...batches(ds, { batchSize: 10, shuffle: false })];
    expect(all.map((b) => b.count)).toEqual([10, 10, 3]);
    expect(all[2]!.shape).toEqual([3, 2, 2, 3]);
    const b = [...batches(ds, { batchSize: 4, seed: 9 })][1]!;
    for (let i = 0; i < b.count; i++) {
      const k = b.indices[i]!;
      expect(b.labels[i]).toBe(ds.labels[k]);
      expect(b.images[i * 12 + 5]).toBeCloseTo(ds.images[k * 12 + 5]! / 255, 6);
    }
    expect([...batches(ds, { batchSize: 10, dropLast: true })]).toHaveLength(2);
    expect(batchCount(ds, { batchSize: 10 })).toBe(3);
    expect(() => batches(ds, { batchSize: 0 }).next()).toThrow(/batchSize is 0 but expected a positive integer/);
  });

  it('augmentation is seeded and leaves the order alone; normalisation is applied last', () => {
    const flip = randomHorizontalFlip();
    const a = [...batches(ds, { batchSize: 8, seed: 3, augment: flip })];
    const b = [...batches(ds, { batchSize: 8, seed: 3, augment: flip })];
    const plain = [...batches(ds, { batchSize: 8, seed: 3 })];
    expect(a.map((x) => x.images)).toEqual(b.map((x) => x.images));
    expect(a.map((x) => Array.from(x.indices))).toEqual(plain.map((x) => Array.from(x.indices)));
    expect(a.map((x) => x.images)).not.toEqual(plain.map((x) => x.images));
    const stats = { mean: [0.5, 0.25], std: [2, 4] };
    const n = [...batches(ds, { batchSize: 8, seed: 3, normalize: stats })][0]!;
    expect(n.images[0]).toBeCloseTo((plain[0]!.images[0]! - 0.5) / 2, 6);
    expect(n.images[6]).toBeCloseTo((plain[0]!.images[6]! - 0.25) / 4, 6);
    expect(new Rng(0).uniform(1)).toHaveLength(1);
  });
});
