import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ArgumentError, FormatError } from '@stridenet/core';
import { isCifar100Dir, isCifar10Dir, loadCifar10, loadCifar100 } from './cifar.js';
import { createDataset, type Dataset, type DatasetSplits } from './dataset.js';
import { DatasetNotFoundError } from './errors.js';
import { isImageFolder, loadImageFolderSplits } from './image-folder.js';
import { FASHION_MNIST_CLASS_NAMES, isIdxDir, loadFashionMnist, loadIdxDir, loadMnist, type FashionMnistOptions } from './mnist.js';

/**
 * Directory of the bundled Fashion-MNIST subset. This file sits directly under src/ and is bundled
 * into dist/index.*, both one level below the package root, so `../data` resolves from either.
 */
export function defaultDatasetDir(): string {
  return fileURLToPath(new URL('../data/fashion-mnist-small/', import.meta.url));
}

/**
 * The bundled Fashion-MNIST subset: 10,000 train and 2,000 test images, 1,000 and 200 per class,
 * shipped in the package so training works on a fresh checkout with no download.
 */
export function loadDefaultDataset(): DatasetSplits {
  const dir = defaultDatasetDir();
  if (!isIdxDir(dir)) throw new DatasetNotFoundError('fashion-mnist-small', [dir], 'The package is incomplete: reinstall @stridenet/datasets (its data/ folder holds the subset).');
  return loadIdxDir(dir, { numClasses: 10, classNames: FASHION_MNIST_CLASS_NAMES, expectSize: [28, 28], name: 'fashion-mnist-small' });
}

export const DEFAULT_DATASET = 'fashion-mnist-small';

export interface DatasetInfo {
  name: string;
  description: string;
  /** Whether `dir` must be given. */
  needsDir: boolean;
}

/** The names `loadDataset` (and the CLI's --dataset) accept; anything else is taken as a path. */
export const DATASETS: readonly DatasetInfo[] = [
  { name: 'fashion-mnist-small', description: 'bundled Fashion-MNIST subset, 10,000 train / 2,000 test, 1x28x28, 10 classes (default)', needsDir: false },
  { name: 'fashion-mnist', description: "full Fashion-MNIST, 60,000 / 10,000; Debian's dataset-fashion-mnist or a directory", needsDir: false },
  { name: 'mnist', description: 'MNIST digits from a directory of the four IDX files', needsDir: true },
  { name: 'cifar10', description: 'CIFAR-10 binary version, 50,000 / 10,000, 3x32x32, 10 classes', needsDir: true },
  { name: 'cifar100', description: 'CIFAR-100 binary version, 50,000 / 10,000, 3x32x32, 100 fine classes', needsDir: true },
];

export interface LoadDatasetOptions {
  /** Directory of the files, for names that need one (mnist, cifar10, cifar100) or to override fashion-mnist's search. */
  dir?: string;
  download?: FashionMnistOptions['download'];
  /** CIFAR-100 label set (default 'fine'). */
  labels?: 'fine' | 'coarse';
  /** Class count of an unnamed IDX directory (default: from the training labels, which must then use every class). */
  numClasses?: number;
}

export type DatasetKind = 'idx' | 'cifar10' | 'cifar100' | 'image-folder';

/** What a directory holds, judged by its file names; undefined when none fits. */
export function detectDatasetKind(dir: string): DatasetKind | undefined {
  if (isIdxDir(dir)) return 'idx';
  if (isCifar10Dir(dir)) return 'cifar10';
  if (isCifar100Dir(dir)) return 'cifar100';
  if (isImageFolder(dir)) return 'image-folder';
  return undefined;
}

/**
 * Loads a dataset by registry name or by path. A path is auto-detected: an IDX directory
 * (train/t10k image and label files; classes from `numClasses` or the training labels), a CIFAR-10
 * or CIFAR-100 binary directory, or an image folder (class subdirectories, optionally under train/
 * and test/). The splits are checked to agree (image shape, class count) before they are returned.
 */
export async function loadDataset(nameOrPath: string = DEFAULT_DATASET, options: LoadDatasetOptions = {}): Promise<DatasetSplits> {
  return checkSplits(await loadUnchecked(nameOrPath, options), nameOrPath);
}

async function loadUnchecked(nameOrPath: string, options: LoadDatasetOptions): Promise<DatasetSplits> {
  if (typeof nameOrPath !== 'string' || nameOrPath === '') {
    throw new ArgumentError('loadDataset', 'dataset', nameOrPath, `a name (${DATASETS.map((d) => d.name).join(', ')}) or a path`);
  }
  const need = (name: string) => {
    if (!options.dir) throw new ArgumentError('loadDataset', 'dir', options.dir, `the directory holding the ${name} files`);
    return options.dir;
  };
  switch (nameOrPath) {
    case 'fashion-mnist-small':
      return loadDefaultDataset();
    case 'fashion-mnist':
      return loadFashionMnist({ dir: options.dir, download: options.download });
    case 'mnist':
      return loadMnist({ dir: need('mnist') });
    case 'cifar10':
      return loadCifar10({ dir: need('cifar10') });
    case 'cifar100':
      return loadCifar100({ dir: need('cifar100'), labels: options.labels });
  }
  const path = nameOrPath;
  if (!existsSync(path)) {
    throw new ArgumentError('loadDataset', 'dataset', path, `a known name (${DATASETS.map((d) => d.name).join(', ')}) or an existing directory`);
  }
  switch (detectDatasetKind(path)) {
    case 'idx':
      return loadIdxAutoClasses(path, options.numClasses);
    case 'cifar10':
      return loadCifar10({ dir: path });
    case 'cifar100':
      return loadCifar100({ dir: path, labels: options.labels });
    case 'image-folder':
      return loadImageFolderSplits(path);
    default:
      throw new FormatError(
        path,
        'is not a recognised dataset directory: expected IDX files (train-images-idx3-ubyte[.gz], ...), CIFAR binaries (data_batch_1.bin, ... or train.bin/test.bin), or class subdirectories of PNG/JPEG images',
      );
  }
}

/**
 * An unnamed IDX directory: the class count is declared (`numClasses`), or read from the training
 * labels (max + 1, at least 2) — then every class below the largest label must have a training
 * example, so one stray label (200 among 0..9) is an error, not a 201-class model. Test labels
 * must fall in the same range.
 */
function loadIdxAutoClasses(dir: string, declared?: number): DatasetSplits {
  if (declared !== undefined && (!Number.isInteger(declared) || declared < 2 || declared > 256)) {
    throw new ArgumentError('loadDataset', 'numClasses', declared, 'an integer from 2 to 256 (IDX labels are bytes)');
  }
  // 256 admits any uint8 label; the count actually used is then fixed from what the files hold.
  const probe = loadIdxDir(dir, { numClasses: 256, name: dir });
  const train = probe.train;
  const counts = new Int32Array(256);
  for (let i = 0; i < train.count; i++) counts[train.labels[i]!]! += 1;
  let numClasses = declared ?? 2;
  if (declared === undefined) {
    let max = 0;
    for (let c = 0; c < 256; c++) if (counts[c]! > 0) max = c;
    numClasses = Math.max(2, max + 1);
    const empty: number[] = [];
    for (let c = 0; c < max; c++) if (counts[c] === 0) empty.push(c);
    if (empty.length > 0) {
      const at = train.labels.indexOf(max);
      throw new FormatError(
        dir,
        `training label ${max} (example ${at}) would make ${numClasses} classes, but ${empty.length} of them (${rangeList(empty)}) have no training example: labels must number the classes 0..K-1; pass numClasses to declare the count`,
      );
    }
  }
  const relabel = (d: Dataset, part: string) => {
    for (let i = 0; i < d.count; i++) {
      const l = d.labels[i]!;
      if (l >= numClasses) {
        throw new FormatError(dir, `${part} label ${l} (example ${i}) is out of range 0..${numClasses - 1} (${declared === undefined ? 'the classes the training labels number' : 'numClasses'})`);
      }
    }
    return createDataset({ images: d.images, labels: d.labels, shape: d.shape, numClasses, source: d.source });
  };
  return { train: relabel(train, 'training'), test: relabel(probe.test!, 'test') };
}

/** '3, 5..9, 12' from sorted integers. */
function rangeList(values: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < values.length; ) {
    let j = i;
    while (j + 1 < values.length && values[j + 1] === values[j]! + 1) j++;
    parts.push(j === i ? `${values[i]}` : `${values[i]}..${values[j]}`);
    i = j + 1;
  }
  return parts.join(', ');
}

/**
 * Train and test must describe the same task: one image shape, one class count (test labels are
 * already checked against it by createDataset). Checked when the data is loaded, so a mismatch
 * fails before training, not at the first evaluation.
 */
export function checkSplits(splits: DatasetSplits, name: string): DatasetSplits {
  const { train, test } = splits;
  if (!test) return splits;
  if (test.shape.some((d, i) => d !== train.shape[i])) {
    throw new FormatError(
      name,
      `test images are [${test.shape.join(',')}] (${test.source}) but training images are [${train.shape.join(',')}] (${train.source}); both splits must have one shape`,
    );
  }
  if (test.numClasses !== train.numClasses) {
    throw new FormatError(name, `test split has ${test.numClasses} classes (${test.source}) but the training split has ${train.numClasses} (${train.source})`);
  }
  return splits;
}
