import { ArgumentError, Rng } from '@stridenet/core';
import type { Augmentation } from './augment.js';
import { imageSize, type Dataset } from './dataset.js';
import { normalizeChannels, type ChannelStats } from './normalize.js';

export interface BatchOptions {
  batchSize: number;
  /** Shuffle each epoch (default true); the order depends only on (seed, epoch). */
  shuffle?: boolean;
  /** Default 0. */
  seed?: number;
  /** Which epoch's order to produce (default 0); lets a resumed run continue the same sequence. */
  epoch?: number;
  /** Drop a last batch smaller than batchSize (default false). */
  dropLast?: boolean;
  /** Applied to the [0, 1] floats, before `normalize`. */
  augment?: Augmentation;
  /** Per-channel standardisation after augmentation; without it pixels stay in [0, 1]. */
  normalize?: ChannelStats;
}

export interface Batch {
  /** count * C * H * W floats, NCHW. */
  images: Float32Array;
  labels: Int32Array;
  count: number;
  shape: [n: number, c: number, h: number, w: number];
  /** Positions of these examples in the dataset. */
  indices: Int32Array;
}

function checkOptions(ds: Dataset, o: BatchOptions): void {
  if (!Number.isInteger(o.batchSize) || o.batchSize < 1) throw new ArgumentError('batches', 'batchSize', o.batchSize, 'a positive integer');
  const epoch = o.epoch ?? 0;
  if (!Number.isInteger(epoch) || epoch < 0) throw new ArgumentError('batches', 'epoch', epoch, 'a non-negative integer');
  if (ds.count === 0) throw new ArgumentError('batches', 'dataset.count', 0, `at least one example (${ds.source})`);
}

/**
 * The example order for one epoch. Shuffling and augmentation take separate streams forked from
 * the seed, so turning augmentation on does not change which examples share a batch.
 */
export function epochOrder(count: number, options: { shuffle?: boolean; seed?: number; epoch?: number } = {}): Int32Array {
  if (options.shuffle ?? true) return new Rng(options.seed ?? 0).fork(2 * (options.epoch ?? 0)).permutation(count);
  const order = new Int32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  return order;
}

/** How many batches one epoch yields. */
export function batchCount(ds: Dataset, options: Pick<BatchOptions, 'batchSize' | 'dropLast'>): number {
  return options.dropLast ? Math.floor(ds.count / options.batchSize) : Math.ceil(ds.count / options.batchSize);
}

/** Yields one epoch of float batches: gather, scale to [0, 1], augment, normalise. */
export function* batches(ds: Dataset, options: BatchOptions): Generator<Batch, void, undefined> {
  checkOptions(ds, options);
  const order = epochOrder(ds.count, options);
  const augRng = new Rng(options.seed ?? 0).fork(2 * (options.epoch ?? 0) + 1);
  const size = imageSize(ds.shape);
  const k = 1 / 255;
  const n = batchCount(ds, options);
  for (let b = 0; b < n; b++) {
    const start = b * options.batchSize;
    const count = Math.min(options.batchSize, ds.count - start);
    const indices = order.slice(start, start + count);
    const images = new Float32Array(count * size);
    const labels = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      const src = indices[i]! * size;
      const dst = i * size;
      for (let j = 0; j < size; j++) images[dst + j] = ds.images[src + j]! * k;
      labels[i] = ds.labels[indices[i]!]!;
    }
    if (options.augment) options.augment(images, count, ds.shape, augRng);
    if (options.normalize) normalizeChannels(images, ds.shape, options.normalize);
    yield { images, labels, count, shape: [count, ds.shape[0], ds.shape[1], ds.shape[2]], indices };
  }
}
