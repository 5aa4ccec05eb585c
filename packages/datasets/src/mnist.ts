import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ArgumentError, FormatError } from '@stridenet/core';
import { createDataset, type Dataset, type DatasetSplits } from './dataset.js';
import { defaultCacheDir, downloadFile, type DownloadOptions } from './download.js';
import { DatasetNotFoundError } from './errors.js';
import { readIdxImages, readIdxLabels } from './idx.js';

export const MNIST_CLASS_NAMES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] as const;
export const FASHION_MNIST_CLASS_NAMES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
] as const;

/** Where Debian's `dataset-fashion-mnist` package installs the full data set. */
export const DEBIAN_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

export interface IdxPairOptions {
  numClasses: number;
  classNames?: readonly string[];
  /** Required image height and width; a file of another size is an error naming it. */
  expectSize?: readonly [height: number, width: number];
  /** EMNIST stores each image transposed (column-major); this flips it back to the MNIST orientation. */
  transpose?: boolean;
  /** Subtracted from every label (EMNIST letters are numbered 1..26). */
  labelOffset?: number;
  source?: string;
}

/** Loads one images file and its labels file (raw or .gz) as a Dataset, with every check. */
export function loadIdxPair(imagesFile: string, labelsFile: string, options: IdxPairOptions): Dataset {
  const img = readIdxImages(imagesFile);
  const raw = readIdxLabels(labelsFile);
  if (raw.length !== img.count) {
    throw new FormatError(labelsFile, `holds ${raw.length} labels but ${imagesFile} holds ${img.count} images`);
  }
  if (options.expectSize && (img.height !== options.expectSize[0] || img.width !== options.expectSize[1])) {
    throw new FormatError(imagesFile, `images are ${img.height}x${img.width} but expected ${options.expectSize[0]}x${options.expectSize[1]}`);
  }
  const offset = options.labelOffset ?? 0;
  const labels = new Int32Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const l = raw[i]! - offset;
    if (l < 0 || l >= options.numClasses) {
      throw new FormatError(labelsFile, `label ${raw[i]} at index ${i} is out of range ${offset}..${options.numClasses - 1 + offset}`);
    }
    labels[i] = l;
  }
  let images = img.images;
  if (options.transpose) {
    const { height: h, width: w } = img;
    const t = new Uint8Array(images.length);
    for (let n = 0; n < img.count; n++) {
      const base = n * h * w;
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) t[base + y * w + x] = images[base + x * h + y]!;
    }
    images = t;
  }
  return createDataset({
    images,
    labels,
    shape: options.transpose ? [1, img.width, img.height] : [1, img.height, img.width],
    numClasses: options.numClasses,
    classNames: options.classNames,
    source: options.source ?? imagesFile,
  });
}

const IDX_NAME = /^(.*?)[-_.]?(images|labels)[-.]idx([13])[-.]ubyte(\.gz)?$/;

/**
 * Finds IDX image/label pairs in a directory by name: `train-images-idx3-ubyte[.gz]`,
 * `t10k-labels.idx1-ubyte`, `emnist-letters-test-images-idx3-ubyte.gz`, ... Returns a map from
 * prefix (`train`, `t10k`, `emnist-letters-test`) to the pair's paths.
 */
export function findIdxPairs(dir: string): Map<string, { images: string; labels: string }> {
  const found = new Map<string, { images?: string; labels?: string }>();
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return new Map();
  }
  for (const name of names) {
    const m = IDX_NAME.exec(name);
    if (!m) continue;
    const [, prefix, kind, rank, gz] = m;
    if ((kind === 'images') !== (rank === '3')) continue;
    const entry = found.get(prefix!) ?? {};
    // Prefer the uncompressed copy when both exist: it loads faster and is what a user unpacked.
    if (entry[kind as 'images' | 'labels'] === undefined || !gz) entry[kind as 'images' | 'labels'] = join(dir, name);
    found.set(prefix!, entry);
  }
  const pairs = new Map<string, { images: string; labels: string }>();
  for (const [prefix, e] of found) if (e.images && e.labels) pairs.set(prefix, { images: e.images, labels: e.labels });
  return pairs;
}

/** True when `dir` holds a train pair and a test pair of IDX files. */
export function isIdxDir(dir: string): boolean {
  const pairs = findIdxPairs(dir);
  return pickPair(pairs, 'train') !== undefined && pickPair(pairs, 'test') !== undefined;
}

function pickPair(pairs: Map<string, { images: string; labels: string }>, part: 'train' | 'test', stem = '') {
  const names = part === 'train' ? ['train'] : ['t10k', 'test'];
  for (const n of names) {
    const p = pairs.get(stem ? `${stem}-${n}` : n);
    if (p) return p;
  }
  return undefined;
}

export interface IdxDirOptions extends Omit<IdxPairOptions, 'source'> {
  /** File prefix before `-train` / `-test` (EMNIST: `emnist-balanced`). */
  stem?: string;
  /** Name used in messages and `source` (default: the directory). */
  name?: string;
}

/** Loads the train and test pairs of an IDX directory. */
export function loadIdxDir(dir: string, options: IdxDirOptions): DatasetSplits {
  const pairs = findIdxPairs(dir);
  const train = pickPair(pairs, 'train', options.stem);
  const test = pickPair(pairs, 'test', options.stem);
  const pre = options.stem ? `${options.stem}-` : '';
  if (!train || !test) {
    throw new FormatError(
      dir,
      `does not hold IDX ${!train ? 'train' : 'test'} files: expected ${pre}${!train ? 'train' : 't10k'}-images-idx3-ubyte[.gz] and ${pre}${!train ? 'train' : 't10k'}-labels-idx1-ubyte[.gz]`,
    );
  }
  const name = options.name ?? dir;
  return {
    train: loadIdxPair(train.images, train.labels, { ...options, source: `${name} (train)` }),
    test: loadIdxPair(test.images, test.labels, { ...options, source: `${name} (test)` }),
  };
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export interface MnistOptions {
  /** Directory holding the four IDX files (raw or .gz). */
  dir: string;
}

/** MNIST digits from a directory of the four IDX files. */
export function loadMnist(options: MnistOptions): DatasetSplits {
  const dir = requireDir('mnist', options?.dir, 'Pass the directory holding train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz] and t10k-labels-idx1-ubyte[.gz].');
  return loadIdxDir(dir, { numClasses: 10, classNames: MNIST_CLASS_NAMES, expectSize: [28, 28], name: `mnist:${dir}` });
}

function requireDir(dataset: string, dir: string | undefined, remedy: string): string {
  if (typeof dir !== 'string' || dir === '') throw new ArgumentError(`load ${dataset}`, 'dir', dir, 'a directory path');
  if (!isDir(dir)) throw new DatasetNotFoundError(dataset, [dir], remedy);
  return dir;
}

/** Largest gzip file any compressor makes of `n` bytes (stored blocks: 5 bytes per 64 KiB, plus header, file name and trailer). */
function gzipBound(n: number): number {
  return n + 5 * Math.ceil(n / 65_535) + 1024;
}

/**
 * Upstream Fashion-MNIST files. The checksums cover the gunzipped IDX content, taken from Debian's
 * `dataset-fashion-mnist` (which recompressed the files, so their .gz bytes differ from upstream's).
 */
export const FASHION_MNIST_FILES = [
  { fileName: 'train-images-idx3-ubyte.gz', sha256: 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888', maxBytes: gzipBound(47_040_016) },
  { fileName: 'train-labels-idx1-ubyte.gz', sha256: 'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9', maxBytes: gzipBound(60_008) },
  { fileName: 't10k-images-idx3-ubyte.gz', sha256: '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b', maxBytes: gzipBound(7_840_016) },
  { fileName: 't10k-labels-idx1-ubyte.gz', sha256: '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34', maxBytes: gzipBound(10_008) },
] as const;

export interface FashionMnistOptions {
  /** Directory to use instead of searching (only this one is tried; a download goes into it). */
  dir?: string;
  /**
   * Fetch the four files when no local copy is found (into `dir`, or the cache's fashion-mnist/). `baseUrl` is the directory
   * URL the file names are appended to; each file is checked against FASHION_MNIST_FILES.
   */
  download?: { baseUrl: string } & DownloadOptions;
}

function fashionMnistCacheDir(download?: DownloadOptions): string {
  return join(download?.cacheDir ?? defaultCacheDir(), 'fashion-mnist');
}

const FASHION_REMEDY =
  "Install Debian's package (apt-get install dataset-fashion-mnist, files in /usr/share/datasets/fashion-mnist), pass { dir } naming a directory with the four IDX files, or pass { download: { baseUrl } }.";

/**
 * The full Fashion-MNIST (60,000 train, 10,000 test). Looks in `dir` when given, otherwise in
 * Debian's location and then in the cache; downloads into the cache only when asked to.
 */
export async function loadFashionMnist(options: FashionMnistOptions = {}): Promise<DatasetSplits> {
  const load = (dir: string) =>
    loadIdxDir(dir, { numClasses: 10, classNames: FASHION_MNIST_CLASS_NAMES, expectSize: [28, 28], name: `fashion-mnist:${dir}` });
  const searched = options.dir !== undefined ? [options.dir] : [DEBIAN_FASHION_MNIST_DIR, fashionMnistCacheDir(options.download)];
  for (const dir of searched) if (isIdxDir(dir)) return load(dir);
  if (options.download) {
    // A named directory is where the files should be, so the download goes there; otherwise to the cache.
    const target = searched[searched.length - 1]!;
    const base = options.download.baseUrl.endsWith('/') ? options.download.baseUrl : `${options.download.baseUrl}/`;
    for (const f of FASHION_MNIST_FILES) {
      await downloadFile({ url: new URL(f.fileName, base).href, sha256: f.sha256, digest: 'gunzip', fileName: f.fileName, maxBytes: f.maxBytes }, { ...options.download, cacheDir: target });
    }
    return load(target);
  }
  throw new DatasetNotFoundError('fashion-mnist', searched, FASHION_REMEDY);
}

/** EMNIST split names and their class counts (letters are relabelled 0..25 from the file's 1..26). */
export const EMNIST_SPLITS = { balanced: 47, byclass: 62, bymerge: 47, digits: 10, letters: 26, mnist: 10 } as const;

export interface EmnistOptions {
  dir: string;
  split: keyof typeof EMNIST_SPLITS;
}

/** EMNIST from a directory of `emnist-<split>-{train,test}-{images-idx3,labels-idx1}-ubyte[.gz]`. */
export function loadEmnist(options: EmnistOptions): DatasetSplits {
  const numClasses = EMNIST_SPLITS[options?.split];
  if (numClasses === undefined) throw new ArgumentError('loadEmnist', 'split', options?.split, `one of ${Object.keys(EMNIST_SPLITS).join(', ')}`);
  const dir = requireDir(`emnist-${options.split}`, options.dir, `Pass the directory holding emnist-${options.split}-train-images-idx3-ubyte.gz and its siblings.`);
  return loadIdxDir(dir, {
    numClasses,
    stem: `emnist-${options.split}`,
    transpose: true,
    labelOffset: options.split === 'letters' ? 1 : 0,
    expectSize: [28, 28],
    name: `emnist-${options.split}:${dir}`,
  });
}

