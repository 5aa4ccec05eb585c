import { ArgumentError, ShapeError } from '../errors.js';
import type { Model } from '../models/types.js';
import type { Rng } from '../random/philox.js';

/**
 * In-memory labelled images, the shape `@stridenet/datasets` loaders return:
 * `images` is float32 NCHW (`count * C * H * W` values), `labels` one class index per image.
 */
export interface ImageDataset {
  images: Float32Array;
  labels: Int32Array | Uint8Array;
  count: number;
  /** One example, without the batch axis: [C, H, W]. */
  shape: readonly number[];
  numClasses: number;
}

/** A batch as handed to the augmentation hook: plain arrays the hook may change in place. */
export interface Batch {
  images: Float32Array;
  labels: Int32Array;
  /** [n, C, H, W]. */
  shape: number[];
}

/**
 * Per-batch augmentation, run on the CPU copy before upload. Use `ctx.rng` for randomness: it is
 * seeded from the run seed and saved in checkpoints, so augmented runs stay reproducible.
 * Change `batch` in place or return a replacement of the same shape.
 */
export type AugmentFn = (batch: Batch, ctx: { rng: Rng; epoch: number; step: number }) => void | Batch | Promise<void | Batch>;

/** Checks a dataset against a model; returns the size of one example. */
export function checkDataset(op: string, name: string, data: ImageDataset, model?: Model): number {
  if (!data || typeof data !== 'object') throw new ArgumentError(op, name, data, '{ images, labels, count, shape, numClasses }');
  if (!(data.images instanceof Float32Array)) throw new ArgumentError(op, `${name}.images`, typeof data.images, 'a Float32Array (NCHW)');
  if (!(data.labels instanceof Int32Array || data.labels instanceof Uint8Array)) {
    throw new ArgumentError(op, `${name}.labels`, typeof data.labels, 'an Int32Array or Uint8Array');
  }
  if (!Number.isInteger(data.count) || data.count < 0) throw new ArgumentError(op, `${name}.count`, data.count, 'a non-negative integer');
  if (!Array.isArray(data.shape) || !data.shape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new ShapeError(op, `${name}.shape`, data.shape, 'positive integers [C, H, W]');
  }
  const per = data.shape.reduce((a, b) => a * b, 1);
  if (data.images.length !== data.count * per) {
    throw new ShapeError(op, `${name}.images length`, data.images.length, `count * C*H*W = ${data.count} * ${per}`);
  }
  if (data.labels.length !== data.count) throw new ShapeError(op, `${name}.labels length`, data.labels.length, `count = ${data.count}`);
  if (!Number.isInteger(data.numClasses) || data.numClasses < 1) throw new ArgumentError(op, `${name}.numClasses`, data.numClasses, 'a positive integer');
  for (let i = 0; i < data.count; i++) {
    const y = data.labels[i]!;
    if (y >= data.numClasses) throw new ArgumentError(op, `${name}.labels[${i}]`, y, `a class in [0, ${data.numClasses - 1}]`);
    if (y < 0) throw new ArgumentError(op, `${name}.labels[${i}]`, y, 'a non-negative class index');
  }
  if (model) {
    if (model.inputShape.length !== data.shape.length || model.inputShape.some((d, i) => d !== data.shape[i])) {
      throw new ShapeError(op, `${name}.shape`, data.shape, `[${model.inputShape.join(',')}] (model '${model.name}' input shape)`);
    }
    const out = model.outputShape[model.outputShape.length - 1];
    if (out !== undefined && out !== data.numClasses) {
      throw new ShapeError(op, `${name}.numClasses`, data.numClasses, `${out} (model '${model.name}' output width)`);
    }
  }
  return per;
}

/** Copies examples `indices[from..to)` into one batch. */
export function gather(data: ImageDataset, per: number, indices: ArrayLike<number>, from: number, to: number): Batch {
  const n = to - from;
  const images = new Float32Array(n * per);
  const labels = new Int32Array(n);
  for (let j = 0; j < n; j++) {
    const src = indices[from + j]!;
    images.set(data.images.subarray(src * per, (src + 1) * per), j * per);
    labels[j] = data.labels[src]!;
  }
  return { images, labels, shape: [n, ...data.shape] };
}

/** Awaits one macrotask, so signal handlers and progress output run between batches. */
export const yieldToEventLoop = (): Promise<void> =>
  new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));
