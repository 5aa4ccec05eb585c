import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { ArgumentError, FormatError } from '@stridenet/core';
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { createDataset, type Dataset, type DatasetSplits } from './dataset.js';

const EXTENSIONS = new Set(['.png', '.jpg', '.jpeg']);

export interface DecodedImage {
  width: number;
  height: number;
  /** RGBA, 4 bytes a pixel, row-major. */
  rgba: Uint8Array;
}

/** Decodes a PNG or JPEG by its signature (not its name) to 8-bit RGBA. */
export function decodeImage(bytes: Uint8Array, file: string): DecodedImage {
  const isPng = bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
  const isJpeg = bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (isPng) {
    try {
      const png = pngjs.PNG.sync.read(buffer);
      return { width: png.width, height: png.height, rgba: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
    } catch (e) {
      throw new FormatError(file, `is not a decodable PNG (${(e as Error).message})`);
    }
  }
  if (isJpeg) {
    try {
      // tolerantDecoding off: a truncated JPEG must fail here, not train on half-grey images.
      const img = jpeg.decode(buffer, { useTArray: true, formatAsRGBA: true, tolerantDecoding: false, maxMemoryUsageInMB: 512 });
      return { width: img.width, height: img.height, rgba: img.data };
    } catch (e) {
      throw new FormatError(file, `is not a decodable JPEG (${(e as Error).message ?? String(e)})`);
    }
  }
  throw new FormatError(file, 'is neither PNG (signature 89 50 4e 47) nor JPEG (signature ff d8 ff)');
}

export interface ImageFolderOptions {
  /**
   * 1 (grey), 3 (RGB), or 'auto' (default): grey when every pixel of every image has R = G = B.
   * Alpha is dropped.
   */
  channels?: 1 | 3 | 'auto';
  /** Required [height, width]; without it every image must match the first one read. */
  size?: readonly [height: number, width: number];
  /** Class names in label order; default: the subdirectory names, sorted. */
  classNames?: readonly string[];
}

function listDirs(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** A folder with `train/` and `test/`, each holding class subdirectories. */
export function isSplitImageFolder(dir: string): boolean {
  return isDir(join(dir, 'train')) && isDir(join(dir, 'test'));
}

/** True when `dir` has at least one subdirectory with a PNG or JPEG in it (directly, or under train/). */
export function isImageFolder(dir: string): boolean {
  const root = isSplitImageFolder(dir) ? join(dir, 'train') : dir;
  if (!isDir(root)) return false;
  return listDirs(root).some((c) => readdirSync(join(root, c)).some((f) => EXTENSIONS.has(extname(f).toLowerCase())));
}

/**
 * Loads a class-per-subdirectory folder of PNG/JPEG images: `dir/<class>/<image>`. Labels follow
 * the sorted class names; files are read in name order, so the result is the same on every run.
 */
export function loadImageFolder(dir: string, options: ImageFolderOptions = {}): Dataset {
  if (!isDir(dir)) throw new ArgumentError('loadImageFolder', 'dir', dir, 'an existing directory');
  const channelsOpt = options.channels ?? 'auto';
  if (channelsOpt !== 1 && channelsOpt !== 3 && channelsOpt !== 'auto') {
    throw new ArgumentError('loadImageFolder', 'channels', channelsOpt, "1, 3 or 'auto'");
  }
  const classNames = options.classNames ? [...options.classNames] : listDirs(dir);
  if (classNames.length === 0) throw new FormatError(dir, 'has no class subdirectories; expected <dir>/<class name>/<image>.png|.jpg');
  const found = listDirs(dir);
  const unknown = found.filter((c) => !classNames.includes(c));
  if (unknown.length > 0) throw new FormatError(dir, `has class directories ${unknown.map((c) => `'${c}'`).join(', ')} not among the classes [${classNames.join(', ')}]`);

  let size = options.size ? ([options.size[0], options.size[1]] as [number, number]) : undefined;
  let sizeFrom = 'the size option';
  const rgb: Uint8Array[] = [];
  const labels: number[] = [];
  let allGrey = true;
  classNames.forEach((name, label) => {
    const classDir = join(dir, name);
    if (!isDir(classDir)) return;
    const files = readdirSync(classDir)
      .filter((f) => EXTENSIONS.has(extname(f).toLowerCase()) && !f.startsWith('.'))
      .sort();
    for (const f of files) {
      const file = join(classDir, f);
      const img = decodeImage(readFileSync(file), file);
      if (!size) {
        size = [img.height, img.width];
        sizeFrom = file;
      } else if (img.height !== size[0] || img.width !== size[1]) {
        throw new FormatError(file, `is ${img.height}x${img.width} (HxW) but expected ${size[0]}x${size[1]} like ${sizeFrom}; resize the images first`);
      }
      const n = img.width * img.height;
      const px = new Uint8Array(3 * n);
      const { rgba } = img;
      for (let i = 0; i < n; i++) {
        const r = rgba[4 * i]!;
        const g = rgba[4 * i + 1]!;
        const b = rgba[4 * i + 2]!;
        // Planar (CHW) so packing into NCHW below is three copies.
        px[i] = r;
        px[n + i] = g;
        px[2 * n + i] = b;
        if (allGrey && (r !== g || g !== b)) allGrey = false;
      }
      rgb.push(px);
      labels.push(label);
    }
  });
  if (rgb.length === 0 || !size) throw new FormatError(dir, 'holds no .png, .jpg or .jpeg images in its class directories');
  const channels = channelsOpt === 'auto' ? (allGrey ? 1 : 3) : channelsOpt;
  const [h, w] = size;
  const n = h * w;
  const images = new Uint8Array(rgb.length * channels * n);
  rgb.forEach((px, k) => {
    const base = k * channels * n;
    if (channels === 3) images.set(px, base);
    else if (allGrey) images.set(px.subarray(0, n), base);
    else for (let i = 0; i < n; i++) images[base + i] = Math.round(0.299 * px[i]! + 0.587 * px[n + i]! + 0.114 * px[2 * n + i]!); // ITU-R BT.601 luma
  });
  return createDataset({ images, labels: Int32Array.from(labels), shape: [channels, h, w], numClasses: classNames.length, classNames, source: dir });
}

/**
 * A folder with `train/` and `test/` splits (same class names; test may lack some), or a single
 * class-per-subdirectory folder (then only `train`).
 */
export function loadImageFolderSplits(dir: string, options: ImageFolderOptions = {}): DatasetSplits {
  if (!isSplitImageFolder(dir)) return { train: loadImageFolder(dir, options) };
  const train = loadImageFolder(join(dir, 'train'), options);
  // The test split must use train's labels, channels and size, or accuracy would compare different things.
  const test = loadImageFolder(join(dir, 'test'), {
    classNames: train.classNames,
    channels: train.shape[0] as 1 | 3,
    size: [train.shape[1], train.shape[2]],
  });
  return { train, test };
}
