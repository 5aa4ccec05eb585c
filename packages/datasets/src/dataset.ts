import { ArgumentError, Rng } from '@stridenet/core';

/** Channels, height, width of one image. */
export type ImageShape = readonly [channels: number, height: number, width: number];

/**
 * Images are kept as raw bytes (NCHW, 0..255): a quarter of the memory of float32, and the exact
 * values the files hold. `toFloat32` / `normalize` and the batch iterator make floats on demand.
 */
export interface Dataset {
  /** count * C * H * W bytes, NCHW order. */
  readonly images: Uint8Array;
  /** count labels, each in 0..numClasses-1. */
  readonly labels: Int32Array;
  readonly count: number;
  readonly shape: ImageShape;
  readonly numClasses: number;
  readonly classNames?: readonly string[];
  /** Where the data came from (file, directory or dataset name), for messages and reports. */
  readonly source: string;
}

/** A dataset's standard partition; `test` is absent for sources that have none (an unsplit image folder). */
export interface DatasetSplits {
  readonly train: Dataset;
  readonly test?: Dataset;
}

export interface DatasetFields {
  images: Uint8Array;
  labels: Int32Array;
  shape: ImageShape;
  numClasses: number;
  classNames?: readonly string[];
  source: string;
}

/** Builds a Dataset after checking that sizes, shape and labels agree. */
export function createDataset(fields: DatasetFields): Dataset {
  const op = 'createDataset';
  const { images, labels, shape, numClasses, classNames, source } = fields;
  if (!(images instanceof Uint8Array)) throw new ArgumentError(op, 'images', typeof images, 'a Uint8Array of NCHW bytes');
  if (!(labels instanceof Int32Array)) throw new ArgumentError(op, 'labels', typeof labels, 'an Int32Array');
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new ArgumentError(op, 'shape', shape, '[channels, height, width] of positive integers');
  }
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new ArgumentError(op, 'numClasses', numClasses, 'a positive integer');
  if (classNames !== undefined && classNames.length !== numClasses) {
    throw new ArgumentError(op, 'classNames.length', classNames.length, `numClasses (${numClasses})`);
  }
  const size = shape[0] * shape[1] * shape[2];
  const count = labels.length;
  if (images.length !== count * size) {
    throw new ArgumentError(op, 'images.length', images.length, `labels.length * C*H*W = ${count} * ${size} = ${count * size}`);
  }
  for (let i = 0; i < count; i++) {
    const l = labels[i]!;
    if (l < 0 || l >= numClasses) throw new ArgumentError(op, `labels[${i}]`, l, `a class index in 0..${numClasses - 1}`);
  }
  return Object.freeze({
    images,
    labels,
    count,
    shape: Object.freeze([shape[0], shape[1], shape[2]]) as ImageShape,
    numClasses,
    ...(classNames ? { classNames: Object.freeze([...classNames]) } : {}),
    source,
  });
}

export function imageSize(shape: ImageShape): number {
  return shape[0] * shape[1] * shape[2];
}

/** The examples at `indices` (any order, repeats allowed), or the range [start, end). */
export function subset(ds: Dataset, selection: ArrayLike<number> | { start?: number; end?: number }): Dataset {
  let indices: ArrayLike<number>;
  if ('length' in selection) {
    indices = selection;
  } else {
    const start = selection.start ?? 0;
    const end = selection.end ?? ds.count;
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > ds.count || start > end) {
      throw new ArgumentError('subset', 'range', [start, end], `0 <= start <= end <= ${ds.count}`);
    }
    const r = new Int32Array(end - start);
    for (let i = 0; i < r.length; i++) r[i] = start + i;
    indices = r;
  }
  const size = imageSize(ds.shape);
  const images = new Uint8Array(indices.length * size);
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const k = indices[i]!;
    if (!Number.isInteger(k) || k < 0 || k >= ds.count) throw new ArgumentError('subset', `indices[${i}]`, k, `an integer in 0..${ds.count - 1}`);
    images.set(ds.images.subarray(k * size, (k + 1) * size), i * size);
    labels[i] = ds.labels[k]!;
  }
  return createDataset({ images, labels, shape: ds.shape, numClasses: ds.numClasses, classNames: ds.classNames, source: ds.source });
}

export interface SplitOptions {
  /** Seed of the shuffle that decides which examples go to validation (default 0). */
  seed?: number;
  /** Keep each class's share equal in both parts (default true). */
  stratified?: boolean;
}

/**
 * Holds out `validationFraction` of the examples. Deterministic for a seed; stratified by default so
 * a small validation set still sees every class in proportion.
 */
export function split(ds: Dataset, validationFraction: number, options: SplitOptions = {}): { train: Dataset; validation: Dataset } {
  if (!(validationFraction > 0 && validationFraction < 1)) {
    throw new ArgumentError('split', 'validationFraction', validationFraction, 'a number strictly between 0 and 1');
  }
  const rng = new Rng(options.seed ?? 0);
  const train: number[] = [];
  const validation: number[] = [];
  if (options.stratified ?? true) {
    const byClass: number[][] = Array.from({ length: ds.numClasses }, () => []);
    for (let i = 0; i < ds.count; i++) byClass[ds.labels[i]].push(i);
    for (const members of byClass) {
      const perm = rng.permutation(members.length);
      const nVal = Math.round(members.length * validationFraction);
      for (let j = 0; j < perm.length; j++) (j < nVal ? validation : train).push(members[perm[j]!]!);
    }
    // Keep file order inside each part, so the parts do not come out grouped by class.
    train.sort((a, b) => a - b);
    validation.sort((a, b) => a - b);
  } else {
    const perm = rng.permutation(ds.count);
    const nVal = Math.round(ds.count * validationFraction);
    for (let j = 0; j < perm.length; j++) (j < nVal ? validation : train).push(perm[j]!);
  }
  if (train.length === 0 || validation.length === 0) {
    throw new ArgumentError('split', 'validationFraction', validationFraction, `a fraction leaving both parts non-empty for ${ds.count} examples`);
  }
  return { train: subset(ds, train), validation: subset(ds, validation) };
}

/** How many examples each class has. */
export function classCounts(ds: Dataset): Int32Array {
  const counts = new Int32Array(ds.numClasses);
  for (let i = 0; i < ds.count; i++) counts[ds.labels[i]]++;
  return counts;
}
