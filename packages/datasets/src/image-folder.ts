import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { ArgumentError, FormatError } from '@stridenet/core';
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { createDataset, type Dataset, type DatasetSplits } from './dataset.js';
import { readRegularFile } from './files.js';

const EXTENSIONS = new Set(['.png', '.jpg', '.jpeg']);

export interface DecodedImage {
  width: number;
  height: number;
  /** RGBA, 4 bytes a pixel, row-major. */
  rgba: Uint8Array;
}

/**
 * Most pixels an image may have: 2^24 (e.g. 4096 x 4096), 64 MiB as RGBA. Its size is read from
 * the PNG IHDR or JPEG SOF header first, so a small file claiming 20000 x 20000 is refused before
 * any pixel buffer exists. Image files themselves are read only up to IMAGE_MAX_FILE_BYTES.
 */
export const IMAGE_MAX_PIXELS = 2 ** 24;
export const IMAGE_MAX_FILE_BYTES = 256 * 1024 * 1024;

function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
}

function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

/** Width and height from a JPEG's first start-of-frame marker (SOF0..SOF15 but DHT, JPG, DAC). */
function jpegSize(bytes: Uint8Array, file: string): { width: number; height: number } {
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) throw new FormatError(file, `is not a decodable JPEG (no marker at byte ${at})`);
    const marker = bytes[at + 1]!;
    // Fill bytes (ff ff ...) and standalone markers (RSTn, TEM) carry no length.
    if (marker === 0xff) {
      at += 1;
      continue;
    }
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      at += 2;
      continue;
    }
    const length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (at + 9 > bytes.length) break;
      return { height: (bytes[at + 5]! << 8) | bytes[at + 6]!, width: (bytes[at + 7]! << 8) | bytes[at + 8]! };
    }
    if (marker === 0xd9 || marker === 0xda || length < 2) break;
    at += 2 + length;
  }
  throw new FormatError(file, 'is not a decodable JPEG (no frame header giving its size)');
}

/** An image's width and height from its PNG IHDR or JPEG SOF header, without decoding it. */
export function readImageSize(bytes: Uint8Array, file: string): { width: number; height: number } {
  if (isPng(bytes)) {
    // Signature (8), then the IHDR chunk: length (4), 'IHDR' (4), width (4), height (4), big-endian.
    if (bytes.length < 24 || String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') {
      throw new FormatError(file, 'is not a decodable PNG (no IHDR chunk after the signature)');
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return { width: view.getUint32(16, false), height: view.getUint32(20, false) };
  }
  if (isJpeg(bytes)) return jpegSize(bytes, file);
  throw new FormatError(file, 'is neither PNG (signature 89 50 4e 47) nor JPEG (signature ff d8 ff)');
}

/**
 * Decodes a PNG or JPEG by its signature (not its name) to 8-bit RGBA, after checking the size its
 * header declares against `maxPixels` (default IMAGE_MAX_PIXELS).
 */
export function decodeImage(bytes: Uint8Array, file: string, maxPixels: number = IMAGE_MAX_PIXELS): DecodedImage {
  const { width, height } = readImageSize(bytes, file);
  if (width * height > maxPixels) {
    throw new FormatError(file, `is ${height}x${width} (HxW) = ${width * height} pixels, over the ${maxPixels}-pixel limit for one image`);
  }
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (isPng(bytes)) {
    try {
      const png = pngjs.PNG.sync.read(buffer);
      return { width: png.width, height: png.height, rgba: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
    } catch (e) {
      throw new FormatError(file, `is not a decodable PNG (${(e as Error).message})`);
    }
  }
  try {
    // tolerantDecoding off: a truncated JPEG must fail here, not train on half-grey images.
    const img = jpeg.decode(buffer, { useTArray: true, formatAsRGBA: true, tolerantDecoding: false, maxMemoryUsageInMB: 512 });
    return { width: img.width, height: img.height, rgba: img.data };
  } catch (e) {
    throw new FormatError(file, `is not a decodable JPEG (${(e as Error).message ?? String(e)})`);
  }
}

/** Reads and decodes one image file (regular files up to IMAGE_MAX_FILE_BYTES only). */
export function readImage(file: string): DecodedImage {
  return decodeImage(readRegularFile(file, IMAGE_MAX_FILE_BYTES), file);
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
      const bytes = readRegularFile(file, IMAGE_MAX_FILE_BYTES);
      // The header's size is checked before decoding: a wrong-sized image costs no pixel buffer.
      const header = readImageSize(bytes, file);
      if (!size) {
        size = [header.height, header.width];
        sizeFrom = file;
      } else if (header.height !== size[0] || header.width !== size[1]) {
        throw new FormatError(file, `is ${header.height}x${header.width} (HxW) but expected ${size[0]}x${size[1]} like ${sizeFrom}; resize the images first`);
      }
      const img = decodeImage(bytes, file);
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
