import { ArgumentError, ShapeError } from '../errors.js';
import type { Model } from '../models/types.js';
import type { Rng } from '../random/philox.js';

/**
 * In-memory labelled images as floats: `images` is float32 NCHW (`count * C * H * W` values, used as
 * given), `labels` one class index per image.
 */
export interface ImageDataset {
  images: Float32Array;
  labels: Int32Array | Uint8Array;
  count: number;
  /** One example, without the batch axis: [C, H, W]. */
  shape: readonly number[];
  numClasses: number;
}

/**
 * In-memory labelled images as raw bytes: the structure `@stridenet/datasets` loaders return
 * (`Dataset`), so one can be passed to `fit`/`evaluate`/`predict` as it is. Each byte becomes
 * `byte / 255`, then `(x - mean[c]) / std[c]` when the call's `normalize` is given: the same values
 * as `datasetToFloat32(ds, stats)`, converted one batch at a time (a quarter of the memory).
 */
export interface ByteImageDataset {
  readonly images: Uint8Array;
  readonly labels: Int32Array | Uint8Array;
  readonly count: number;
  /** One example, without the batch axis: [C, H, W]. */
  readonly shape: readonly number[];
  readonly numClasses: number;
}

/** What `fit` and `evaluate` take: float images used as given, or byte images converted per batch. */
export type DatasetInput = ImageDataset | ByteImageDataset;

/**
 * Per-channel standardisation of byte images, on the [0, 1] scale (`channelStats` of
 * `@stridenet/datasets` computes it): `x = (byte / 255 - mean[c]) / std[c]`.
 */
export interface ChannelNormalization {
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

/** A batch as handed to the augmentation hook: plain arrays the hook may change in place. */
export interface Batch {
  images: Float32Array;
  labels: Int32Array;
  /** [n, C, H, W]. */
  shape: number[];
}

/**
 * Per-batch augmentation, run on the CPU copy before upload (for byte images, after the conversion to
 * floats and `normalize`). Use `ctx.rng` for randomness: it is seeded from the run seed and saved in
 * checkpoints, so augmented runs stay reproducible. Change `batch` in place or return a replacement
 * of the same shape.
 */
export type AugmentFn = (batch: Batch, ctx: { rng: Rng; epoch: number; step: number }) => void | Batch | Promise<void | Batch>;

const DATASET_FIELDS = '{ images, labels, count, shape, numClasses } (a @stridenet/datasets Dataset, or float images)';
const IMAGES_EXPECTED = 'a Float32Array (NCHW floats, used as given) or a Uint8Array (NCHW bytes, scaled by 1/255 as @stridenet/datasets loads them)';

/** A short name for a value that should have been a typed array (never its contents). */
export function kindOf(value: unknown): string {
  if (value === null || typeof value !== 'object') return typeof value;
  return Array.isArray(value) ? 'an Array' : `a ${(value as object).constructor?.name ?? 'object'}`;
}

/** Checks a dataset (float or byte images) against a model; returns the size of one example. */
export function checkDataset(op: string, name: string, data: DatasetInput, model?: Model): number {
  if (!data || typeof data !== 'object' || ArrayBuffer.isView(data)) throw new ArgumentError(op, name, kindOf(data), DATASET_FIELDS);
  if (!(data.images instanceof Float32Array || data.images instanceof Uint8Array)) throw new ArgumentError(op, `${name}.images`, kindOf(data.images), IMAGES_EXPECTED);
  if (!(data.labels instanceof Int32Array || data.labels instanceof Uint8Array)) {
    throw new ArgumentError(op, `${name}.labels`, kindOf(data.labels), 'an Int32Array or Uint8Array');
  }
  if (!Number.isInteger(data.count) || data.count < 0) throw new ArgumentError(op, `${name}.count`, data.count, 'a non-negative integer');
  if (!Array.isArray(data.shape) || data.shape.length === 0 || !data.shape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new ShapeError(op, `${name}.shape`, Array.isArray(data.shape) ? data.shape : kindOf(data.shape), 'positive integers [C, H, W]');
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
    checkInputShape(op, `${name}.shape`, data.shape, model);
    const out = model.outputShape[model.outputShape.length - 1];
    if (out !== undefined && out !== data.numClasses) {
      throw new ShapeError(op, `${name}.numClasses`, data.numClasses, `${out} (model '${model.name}' output width)`);
    }
  }
  return per;
}

/** Throws unless `shape` is the model's input shape [C, H, W]. */
export function checkInputShape(op: string, name: string, shape: readonly number[], model: Model): void {
  if (model.inputShape.length !== shape.length || model.inputShape.some((d, i) => d !== shape[i])) {
    throw new ShapeError(op, name, shape, `[${model.inputShape.join(',')}] (model '${model.name}' input shape)`);
  }
}

/**
 * Checks a `normalize` option against the datasets it applies to (all byte images with C channels)
 * and returns a private copy, so a caller changing its arrays mid-run changes nothing.
 */
export function checkNormalization(
  op: string,
  norm: ChannelNormalization | undefined,
  datasets: ReadonlyArray<readonly [name: string, images: Float32Array | Uint8Array, channels: number]>,
): ChannelNormalization | undefined {
  if (norm === undefined) return undefined;
  if (!norm || typeof norm !== 'object') throw new ArgumentError(op, 'normalize', norm, '{ mean, std } with one value per channel');
  for (const [name, images, channels] of datasets) {
    if (!(images instanceof Uint8Array)) {
      throw new ArgumentError(op, 'normalize', 'given', `no normalize when ${name}.images is a Float32Array (float images are used as given; normalise them first, or pass the byte images)`);
    }
    for (const key of ['mean', 'std'] as const) {
      const v = norm[key];
      if (!Array.isArray(v) || v.length !== channels || !v.every((x) => Number.isFinite(x))) {
        throw new ArgumentError(op, `normalize.${key}`, Array.isArray(v) ? v : kindOf(v), `${channels} finite number(s), one per channel of ${name}`);
      }
    }
    if (!norm.std.every((s) => s > 0)) throw new ArgumentError(op, 'normalize.std', norm.std, 'positive values');
  }
  return { mean: [...norm.mean], std: [...norm.std] };
}

/**
 * Bytes to floats in place of `out[offset..]`: `byte * (1 / 255)`, rounded to float32 on store, the
 * arithmetic of `toFloat32` in @stridenet/datasets (so results match its bridge bit for bit).
 */
function scaleBytes(src: Uint8Array, out: Float32Array, offset: number): void {
  const k = 1 / 255;
  for (let i = 0; i < src.length; i++) out[offset + i] = src[i]! * k;
}

/**
 * In place: x = (x - mean[c]) * (1 / std[c]) per channel of a NCHW batch of `channels` planes of `plane`
 * values each (no checks: callers validate). The one copy of this arithmetic: fit/evaluate/predict apply it
 * to byte images, and `normalizeChannels` of `@stridenet/datasets` calls it.
 */
export function standardizeChannels(batch: Float32Array, channels: number, plane: number, norm: ChannelNormalization): void {
  const count = batch.length / (channels * plane);
  for (let n = 0; n < count; n++) {
    for (let ch = 0; ch < channels; ch++) {
      const m = norm.mean[ch]!;
      const inv = 1 / norm.std[ch]!;
      const base = (n * channels + ch) * plane;
      for (let i = 0; i < plane; i++) batch[base + i] = (batch[base + i]! - m) * inv;
    }
  }
}

/** Byte images [n * C*H*W] as one float batch, scaled and (with `norm`) standardised. */
export function bytesToFloat32(src: Uint8Array, shape: readonly number[], norm?: ChannelNormalization): Float32Array {
  const out = new Float32Array(src.length);
  scaleBytes(src, out, 0);
  if (norm) standardizeChannels(out, shape[0]!, shape[1]! * shape[2]!, norm);
  return out;
}

/** Copies examples `indices[from..to)` into one float batch (byte images converted, see ByteImageDataset). */
export function gather(data: DatasetInput, per: number, indices: ArrayLike<number>, from: number, to: number, norm?: ChannelNormalization): Batch {
  const n = to - from;
  const images = new Float32Array(n * per);
  const labels = new Int32Array(n);
  const src = data.images;
  for (let j = 0; j < n; j++) {
    const k = indices[from + j]!;
    if (src instanceof Float32Array) images.set(src.subarray(k * per, (k + 1) * per), j * per);
    else scaleBytes(src.subarray(k * per, (k + 1) * per), images, j * per);
    labels[j] = data.labels[k]!;
  }
  if (norm) standardizeChannels(images, data.shape[0]!, per / data.shape[0]!, norm);
  return { images, labels, shape: [n, ...data.shape] };
}

/** Awaits one macrotask, so signal handlers and progress output run between batches. */
export const yieldToEventLoop = (): Promise<void> =>
  new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));
