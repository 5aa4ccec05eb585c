import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError } from '@stridenet/core';
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeImage, IMAGE_MAX_PIXELS, loadImageFolder, loadImageFolderSplits, readImageSize } from './image-folder.js';
import { tempDir } from './test-files.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

/** RGBA pixels from a function of (x, y). */
function rgba(w: number, h: number, f: (x: number, y: number) => [number, number, number]): Buffer {
  const data = Buffer.alloc(w * h * 4);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const [r, g, b] = f(x, y);
      data.set([r, g, b, 255], 4 * (y * w + x));
    }
  return data;
}

function writePng(file: string, w: number, h: number, f: (x: number, y: number) => [number, number, number]): void {
  const png = new pngjs.PNG({ width: w, height: h });
  rgba(w, h, f).copy(png.data);
  writeFileSync(file, pngjs.PNG.sync.write(png));
}

function writeJpeg(file: string, w: number, h: number, f: (x: number, y: number) => [number, number, number]): void {
  writeFileSync(file, jpeg.encode({ width: w, height: h, data: rgba(w, h, f) }, 100).data);
}

function mk(...parts: string[]): string {
  const d = join(dir, ...parts);
  mkdirSync(d, { recursive: true });
  return d;
}

describe('image folder', () => {
  it('loads PNG classes exactly, sorted by class then file name, RGB planar', () => {
    writePng(join(mk('cat'), 'b.png'), 4, 3, (x, y) => [x * 10, y * 20, 200]);
    writePng(join(mk('cat'), 'a.png'), 4, 3, () => [1, 2, 3]);
    writePng(join(mk('ant'), 'z.PNG'), 4, 3, (x, y) => [x + y, 0, 255]);
    writeFileSync(join(dir, 'cat', 'notes.txt'), 'ignored');
    const ds = loadImageFolder(dir);
    expect(ds.classNames).toEqual(['ant', 'cat']);
    expect(ds.shape).toEqual([3, 3, 4]);
    expect(Array.from(ds.labels)).toEqual([0, 1, 1]);
    const img = (n: number) => ds.images.subarray(n * 36, (n + 1) * 36);
    expect(Array.from(img(1).subarray(0, 12))).toEqual(new Array(12).fill(1));
    expect(Array.from(img(1).subarray(24))).toEqual(new Array(12).fill(3));
    // Image 2 is cat/b.png: red = 10x, green (plane 1) = 20y, blue = 200.
    expect(img(2)[1 * 4 + 3]).toBe(30);
    expect(img(2)[12 + 2 * 4 + 1]).toBe(40);
    expect(img(2)[24 + 5]).toBe(200);
  });

  it('turns all-grey images into one channel and decodes JPEG', () => {
    writePng(join(mk('0'), 'a.png'), 5, 5, (x, y) => [x * 40, x * 40, x * 40].map((v) => v + y) as [number, number, number]);
    writeJpeg(join(mk('1'), 'b.jpg'), 5, 5, () => [128, 128, 128]);
    const ds = loadImageFolder(dir);
    expect(ds.shape).toEqual([1, 5, 5]);
    expect(ds.images[2 * 5 + 3]).toBe(3 * 40 + 2);
    // JPEG is lossy; a flat grey block decodes to within a level or two.
    for (const v of ds.images.subarray(25)) expect(Math.abs(v - 128)).toBeLessThanOrEqual(2);
    const rgb = loadImageFolder(dir, { channels: 3 });
    expect(rgb.shape).toEqual([3, 5, 5]);
  });

  it('converts colour to luma when one channel is asked for', () => {
    writePng(join(mk('a'), '1.png'), 2, 1, () => [255, 0, 0]);
    const ds = loadImageFolder(dir, { channels: 1 });
    expect(Array.from(ds.images)).toEqual([76, 76]);
  });

  it('reads train/test splits with the train classes and size', () => {
    writePng(join(mk('train', 'a'), '1.png'), 3, 3, () => [9, 9, 9]);
    writePng(join(mk('train', 'b'), '1.png'), 3, 3, () => [9, 9, 9]);
    writePng(join(mk('test', 'b'), '1.png'), 3, 3, () => [5, 5, 5]);
    const { train, test } = loadImageFolderSplits(dir);
    expect(train.count).toBe(2);
    expect(test!.labels[0]).toBe(1);
    expect(test!.numClasses).toBe(2);
    writePng(join(mk('test', 'c'), '1.png'), 3, 3, () => [5, 5, 5]);
    expect(() => loadImageFolderSplits(dir)).toThrow(/has class directories 'c' not among the classes \[a, b\]/);
  });

  it('names the file with the wrong size, the undecodable file, and empty folders', () => {
    writePng(join(mk('a'), '1.png'), 4, 4, () => [0, 0, 0]);
    writePng(join(mk('a'), '2.png'), 5, 4, () => [0, 0, 0]);
    const bad = join(dir, 'a', '2.png');
    expect(() => loadImageFolder(dir)).toThrow(new RegExp(`${bad}: is 4x5 \\(HxW\\) but expected 4x4 like .*1.png`));
    expect(() => loadImageFolder(dir, { size: [5, 4] })).toThrow(/1.png: is 4x4 \(HxW\) but expected 5x4 like the size option/);
    writeFileSync(bad, Buffer.from('not an image'));
    try {
      loadImageFolder(dir);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(FormatError);
      expect((e as FormatError).file).toBe(bad);
      expect((e as Error).message).toMatch(/neither PNG .* nor JPEG/);
    }
    writeFileSync(bad, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0]));
    expect(() => loadImageFolder(dir)).toThrow(/2.png: is not a decodable PNG/);
    const jpg = join(dir, 'a', '3.jpg');
    writeJpeg(jpg, 4, 4, () => [1, 2, 3]);
    writeFileSync(jpg, readFileSync(jpg).subarray(0, 200));
    expect(() => decodeImage(readFileSync(jpg), jpg)).toThrow(/3.jpg: is not a decodable JPEG/);
    const empty = mk('empty');
    expect(() => loadImageFolder(empty)).toThrow(/has no class subdirectories/);
    mk('empty', 'k');
    expect(() => loadImageFolder(empty)).toThrow(/holds no .png, .jpg or .jpeg images/);
  });
});

describe('image size limits', () => {
  /** A real 4x4 PNG whose IHDR is rewritten to claim width x height (CRC left stale: never decoded). */
  function pngClaiming(width: number, height: number): Buffer {
    const png = new pngjs.PNG({ width: 4, height: 4 });
    const bytes = pngjs.PNG.sync.write(png);
    bytes.writeUInt32BE(width, 16);
    bytes.writeUInt32BE(height, 20);
    return bytes;
  }

  it('reads PNG and JPEG sizes from their headers', () => {
    const f = join(dir, 'a.jpg');
    writeJpeg(f, 7, 5, () => [1, 2, 3]);
    expect(readImageSize(readFileSync(f), f)).toEqual({ width: 7, height: 5 });
    expect(readImageSize(pngClaiming(20000, 30), 'p.png')).toEqual({ width: 20000, height: 30 });
  });

  it('refuses a small PNG claiming 20000x20000 before decoding it', () => {
    const t0 = performance.now();
    expect(() => decodeImage(pngClaiming(20000, 20000), 'big.png')).toThrow(
      `big.png: is 20000x20000 (HxW) = 400000000 pixels, over the ${IMAGE_MAX_PIXELS}-pixel limit for one image`,
    );
    expect(performance.now() - t0).toBeLessThan(500);
    const cls = mk('bombs', 'a');
    writeFileSync(join(cls, 'x.png'), pngClaiming(20000, 20000));
    expect(() => loadImageFolder(join(dir, 'bombs'))).toThrow(/over the 16777216-pixel limit/);
  });

  it('checks a folder image against the expected size from its header, before decoding', () => {
    const cls = mk('mixed', 'a');
    writePng(join(cls, '1.png'), 4, 4, () => [9, 9, 9]);
    writeFileSync(join(cls, '2.png'), pngClaiming(4000, 4000));
    expect(() => loadImageFolder(join(dir, 'mixed'))).toThrow(/2\.png: is 4000x4000 \(HxW\) but expected 4x4 like .*1\.png/);
  });
});

