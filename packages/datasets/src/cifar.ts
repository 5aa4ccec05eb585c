import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ArgumentError, FormatError } from '@stridenet/core';
import { createDataset, type Dataset, type DatasetSplits } from './dataset.js';
import { DatasetNotFoundError } from './errors.js';
import { readMaybeGzip } from './files.js';

const PIXELS = 3 * 32 * 32;

export const CIFAR10_CLASS_NAMES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'] as const;

export interface CifarRecordsOptions {
  /** Label bytes before the pixels: 1 for CIFAR-10, 2 (coarse, fine) for CIFAR-100. */
  labelBytes: 1 | 2;
  /** Which label byte to keep (0-based). */
  labelIndex: number;
  numClasses: number;
  classNames?: readonly string[];
  source?: string;
}

/**
 * Parses CIFAR binary records: label byte(s) then 3072 pixel bytes, already planar
 * (1024 red, 1024 green, 1024 blue, rows top to bottom), i.e. CHW, so pixels copy straight in.
 */
export function parseCifarRecords(bytes: Uint8Array, file: string, options: CifarRecordsOptions): Dataset {
  const record = options.labelBytes + PIXELS;
  if (bytes.length === 0) throw new FormatError(file, 'is empty; a CIFAR batch holds records of ' + record + ' bytes');
  if (bytes.length % record !== 0) {
    throw new FormatError(
      file,
      `is ${bytes.length} bytes, not a whole number of ${record}-byte records (${options.labelBytes} label byte${options.labelBytes > 1 ? 's' : ''} + 3072 pixels): truncated, or not a CIFAR-${options.labelBytes === 1 ? '10' : '100'} binary file`,
    );
  }
  const n = bytes.length / record;
  const images = new Uint8Array(n * PIXELS);
  const labels = new Int32Array(n);
  const kind = options.labelBytes === 2 ? (options.labelIndex === 0 ? 'coarse label' : 'fine label') : 'label';
  for (let i = 0; i < n; i++) {
    const at = i * record;
    if (options.labelBytes === 2) {
      // Both bytes are checked whichever is kept: a bad byte in either means a damaged or foreign file.
      if (bytes[at]! >= 20) throw new FormatError(file, `coarse label ${bytes[at]} of record ${i} (byte offset ${at}) is out of range 0..19`);
      if (bytes[at + 1]! >= 100) throw new FormatError(file, `fine label ${bytes[at + 1]} of record ${i} (byte offset ${at + 1}) is out of range 0..99`);
    }
    const l = bytes[at + options.labelIndex]!;
    if (l >= options.numClasses) {
      throw new FormatError(file, `${kind} ${l} of record ${i} (byte offset ${at + options.labelIndex}) is out of range 0..${options.numClasses - 1}`);
    }
    labels[i] = l;
    images.set(bytes.subarray(at + options.labelBytes, at + record), i * PIXELS);
  }
  return createDataset({ images, labels, shape: [3, 32, 32], numClasses: options.numClasses, classNames: options.classNames, source: options.source ?? file });
}

/** Records one CIFAR file may hold: the whole data set (50,000 train + 10,000 test). */
export const CIFAR_MAX_RECORDS = 60_000;

/** A CIFAR binary file's bytes (raw or gzip), refused past CIFAR_MAX_RECORDS records. */
export function readCifarFile(file: string, labelBytes: 1 | 2): Uint8Array {
  return readMaybeGzip(file, { maxBytes: CIFAR_MAX_RECORDS * (labelBytes + PIXELS) });
}

/** Concatenates datasets of one shape and class set (CIFAR-10's five training batches). */
export function concatDatasets(parts: readonly Dataset[], source: string): Dataset {
  if (parts.length === 0) throw new ArgumentError('concatDatasets', 'parts', [], 'at least one dataset');
  const first = parts[0]!;
  let count = 0;
  for (const p of parts) {
    if (p.shape.join() !== first.shape.join() || p.numClasses !== first.numClasses) {
      throw new ArgumentError('concatDatasets', `${p.source} shape/classes`, [...p.shape, p.numClasses], `[${first.shape.join(',')},${first.numClasses}] like ${first.source}`);
    }
    count += p.count;
  }
  const size = first.shape[0] * first.shape[1] * first.shape[2];
  const images = new Uint8Array(count * size);
  const labels = new Int32Array(count);
  let at = 0;
  for (const p of parts) {
    images.set(p.images, at * size);
    labels.set(p.labels, at);
    at += p.count;
  }
  return createDataset({ images, labels, shape: first.shape, numClasses: first.numClasses, classNames: first.classNames, source });
}

function readNames(file: string, expected: number): string[] | undefined {
  if (!existsSync(file)) return undefined;
  const names = readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (names.length !== expected) throw new FormatError(file, `lists ${names.length} class names but the data set has ${expected} classes`);
  return names;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** The directory that holds the batch files: `dir` itself, or the folder the official archive unpacks to. */
function resolveCifarDir(dir: string, inner: string, marker: string): string | undefined {
  for (const d of [dir, join(dir, inner)]) if (existsSync(join(d, marker)) || existsSync(join(d, `${marker}.gz`))) return d;
  return undefined;
}

function batchPath(dir: string, name: string): string {
  const gz = join(dir, `${name}.gz`);
  return existsSync(join(dir, name)) || !existsSync(gz) ? join(dir, name) : gz;
}

export function isCifar10Dir(dir: string): boolean {
  return isDir(dir) && resolveCifarDir(dir, 'cifar-10-batches-bin', 'data_batch_1.bin') !== undefined;
}

export function isCifar100Dir(dir: string): boolean {
  return isDir(dir) && resolveCifarDir(dir, 'cifar-100-binary', 'train.bin') !== undefined;
}

/**
 * CIFAR-10 from the binary version's directory (`cifar-10-batches-bin`, or its parent):
 * data_batch_1..5.bin as train, test_batch.bin as test, class names from batches.meta.txt.
 */
export function loadCifar10(options: { dir: string }): DatasetSplits {
  const dir = options?.dir;
  if (typeof dir !== 'string' || dir === '') throw new ArgumentError('loadCifar10', 'dir', dir, 'a directory path');
  const root = resolveCifarDir(dir, 'cifar-10-batches-bin', 'data_batch_1.bin');
  if (!root) {
    throw new DatasetNotFoundError('cifar10', [dir, join(dir, 'cifar-10-batches-bin')], 'Unpack the CIFAR-10 binary version (cifar-10-binary.tar.gz) and pass the directory holding data_batch_1.bin .. data_batch_5.bin and test_batch.bin.');
  }
  const classNames = readNames(join(root, 'batches.meta.txt'), 10) ?? [...CIFAR10_CLASS_NAMES];
  const opts = { labelBytes: 1, labelIndex: 0, numClasses: 10, classNames } as const;
  const read = (name: string) => {
    const file = batchPath(root, name);
    if (!existsSync(file)) throw new FormatError(root, `is missing ${name}, one of the CIFAR-10 batch files`);
    return parseCifarRecords(readCifarFile(file, 1), file, opts);
  };
  const batches = [1, 2, 3, 4, 5].map((i) => read(`data_batch_${i}.bin`));
  return { train: concatDatasets(batches, `cifar10:${root} (train)`), test: concatDatasets([read('test_batch.bin')], `cifar10:${root} (test)`) };
}

export interface Cifar100Options {
  dir: string;
  /** 'fine' (100 classes, default) or 'coarse' (20 superclasses). */
  labels?: 'fine' | 'coarse';
}

/** CIFAR-100 from the binary version's directory (`cifar-100-binary`, or its parent): train.bin, test.bin. */
export function loadCifar100(options: Cifar100Options): DatasetSplits {
  const dir = options?.dir;
  if (typeof dir !== 'string' || dir === '') throw new ArgumentError('loadCifar100', 'dir', dir, 'a directory path');
  const which = options.labels ?? 'fine';
  if (which !== 'fine' && which !== 'coarse') throw new ArgumentError('loadCifar100', 'labels', which, "'fine' or 'coarse'");
  const root = resolveCifarDir(dir, 'cifar-100-binary', 'train.bin');
  if (!root) {
    throw new DatasetNotFoundError('cifar100', [dir, join(dir, 'cifar-100-binary')], 'Unpack the CIFAR-100 binary version (cifar-100-binary.tar.gz) and pass the directory holding train.bin and test.bin.');
  }
  const numClasses = which === 'fine' ? 100 : 20;
  const classNames = readNames(join(root, `${which}_label_names.txt`), numClasses);
  const opts = { labelBytes: 2, labelIndex: which === 'fine' ? 1 : 0, numClasses, classNames } as const;
  const read = (name: string, part: string) => {
    const file = batchPath(root, name);
    if (!existsSync(file)) throw new FormatError(root, `is missing ${name}, one of the CIFAR-100 files`);
    return parseCifarRecords(readCifarFile(file, 2), file, { ...opts, source: `cifar100-${which}:${root} (${part})` });
  };
  return { train: read('train.bin', 'train'), test: read('test.bin', 'test') };
}
