import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { FormatError } from '@stridenet/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DatasetNotFoundError } from './errors.js';
import { encodeIdx, parseIdx, readIdxFile } from './idx.js';
import { findIdxPairs, loadEmnist, loadIdxDir, loadIdxPair, loadMnist } from './mnist.js';
import { pattern, tempDir, writeIdxPair } from './test-files.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

function expectFormatError(fn: () => unknown, file: string, problem: RegExp): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(FormatError);
  expect((err as FormatError).file).toBe(file);
  expect((err as FormatError).message).toMatch(problem);
}

/** The 16-byte header of an IDX images file declaring count x height x width bytes (no data). */
function imagesHeader(count: number, height: number, width: number): Buffer {
  const b = Buffer.alloc(16);
  [0x803, count, height, width].forEach((v, i) => b.writeUInt32BE(v, 4 * i));
  return b;
}

describe('IDX codec', () => {
  it('round-trips every element type with big-endian values', () => {
    const cases = [
      { dtype: 'uint8', data: Uint8Array.from([0, 1, 255, 7, 8, 9]) },
      { dtype: 'int8', data: Int8Array.from([-128, -1, 0, 1, 127, 5]) },
      { dtype: 'int16', data: Int16Array.from([-32768, -2, 0, 258, 32767, 3]) },
      { dtype: 'int32', data: Int32Array.from([-(2 ** 31), -5, 0, 65537, 2 ** 31 - 1, 4]) },
      { dtype: 'float32', data: Float32Array.from([-1.5, 0, 3.25, 1e-7, 65504, -0]) },
      { dtype: 'float64', data: Float64Array.from([Math.PI, -Math.E, 0, 1e300, -1e-300, 2]) },
    ] as const;
    for (const c of cases) {
      const bytes = encodeIdx({ dtype: c.dtype, dims: [2, 3], data: c.data });
      const back = parseIdx(bytes);
      expect(back.dtype).toBe(c.dtype);
      expect(back.dims).toEqual([2, 3]);
      expect(Array.from(back.data)).toEqual(Array.from(c.data));
    }
    const int16 = encodeIdx({ dtype: 'int16', dims: [1], data: Int16Array.from([258]) });
    expect(Array.from(int16)).toEqual([0, 0, 0x0b, 1, 0, 0, 0, 1, 1, 2]);
  });

  it('reads raw and gzip files, whatever their names say', () => {
    const bytes = encodeIdx({ dtype: 'uint8', dims: [2, 2, 2], data: pattern(8) });
    writeFileSync(join(dir, 'a-idx3-ubyte'), bytes);
    writeFileSync(join(dir, 'b-idx3-ubyte.gz'), gzipSync(bytes));
    writeFileSync(join(dir, 'c-idx3-ubyte'), gzipSync(bytes));
    for (const f of ['a-idx3-ubyte', 'b-idx3-ubyte.gz', 'c-idx3-ubyte']) expect(Array.from(readIdxFile(join(dir, f)).data)).toEqual(Array.from(pattern(8)));
  });

  it('rejects a wrong magic number, a short header, truncated and overlong data', () => {
    const good = encodeIdx({ dtype: 'uint8', dims: [3, 4, 4], data: pattern(48) });
    const f = join(dir, 'x-idx3-ubyte');
    const write = (b: Uint8Array) => writeFileSync(f, b);
    write(Uint8Array.from([0x50, 0x4b, 3, 4, 0, 0]));
    expectFormatError(() => readIdxFile(f), f, /not an IDX file: magic number 0x504b0304/);
    write(Uint8Array.from([0, 0, 0x07, 1, 0, 0, 0, 1, 0]));
    expectFormatError(() => readIdxFile(f), f, /not an IDX file/);
    write(Uint8Array.from([0, 0]));
    expectFormatError(() => readIdxFile(f), f, /truncated: 2 bytes/);
    write(good.subarray(0, 10));
    expectFormatError(() => readIdxFile(f), f, /truncated: 10 bytes, but its header declares 3 dimensions \(16 header bytes\)/);
    write(good.subarray(0, good.length - 5));
    expectFormatError(() => readIdxFile(f), f, /truncated: header declares 3x4x4 uint8 = 48 data bytes but the file holds 43/);
    const longer = new Uint8Array(good.length + 3);
    longer.set(good);
    write(longer);
    expectFormatError(() => readIdxFile(f), f, /3 bytes past the 3x4x4 uint8 data/);
  });

  it('rejects a .gz that is not gzip and a truncated gzip stream', () => {
    const bytes = encodeIdx({ dtype: 'uint8', dims: [64], data: pattern(64) });
    const notGz = join(dir, 'l-idx1-ubyte.gz');
    writeFileSync(notGz, bytes);
    expectFormatError(() => readIdxFile(notGz), notGz, /does not start with the gzip magic number/);
    const gz = gzipSync(bytes);
    const cut = join(dir, 'cut-idx1-ubyte.gz');
    writeFileSync(cut, gz.subarray(0, gz.length - 12));
    expectFormatError(() => readIdxFile(cut), cut, /not a valid gzip stream/);
    const missing = join(dir, 'missing');
    expectFormatError(() => readIdxFile(missing), missing, /cannot be read \(ENOENT\)/);
  });
});

describe('IDX datasets', () => {
  it('gunzip stops at the size the IDX header declares, and refuses declarations over the limit (gzip bombs)', () => {
    // A header declaring 2 images of 4x4, followed by 64 MB of zeros: ~64 KB compressed.
    const head = encodeIdx({ dtype: 'uint8', dims: [2, 4, 4], data: new Uint8Array(32) });
    const bomb = join(dir, 'bomb-images-idx3-ubyte.gz');
    writeFileSync(bomb, gzipSync(Buffer.concat([head, Buffer.alloc(64 * 1024 * 1024)])));
    const t0 = performance.now();
    expectFormatError(() => readIdxFile(bomb), bomb, /gunzips to more than 48 bytes \(the size its header declares\): a gzip bomb or a damaged file; refused/);
    expect(performance.now() - t0).toBeLessThan(2000);
    // An honest-looking header that declares 100000 x 1000 x 1000 bytes is refused before inflating.
    const big = join(dir, 'big.gz');
    writeFileSync(big, gzipSync(imagesHeader(100_000, 1000, 1000)));
    expectFormatError(() => readIdxFile(big), big, /declares 100000000016 bytes of content, over the 1073741824-byte limit for one dataset file/);
    // A header within the 1 GiB cap, but far beyond what a few-KB file can honestly hold.
    const sly = join(dir, 'sly.gz');
    writeFileSync(sly, gzipSync(Buffer.concat([imagesHeader(600_000, 28, 28), Buffer.alloc(4 * 1024 * 1024)])));
    expectFormatError(() => readIdxFile(sly), sly, /declares 470400016 bytes of content but is \d+ bytes compressed, more than the 100-fold expansion real data shows \(a gzip bomb\?\); refused/);
    // Not an IDX header at all: refused from the first bytes, before inflating the rest.
    const junk = join(dir, 'junk.gz');
    writeFileSync(junk, gzipSync(Buffer.alloc(64 * 1024 * 1024, 7)));
    expectFormatError(() => readIdxFile(junk), junk, /is not an IDX file: magic number 0x07070707/);
    // Devices and directories are not read at all.
    expectFormatError(() => readIdxFile('/dev/zero'), '/dev/zero', /is not a regular file/);
    expectFormatError(() => readIdxFile(dir), dir, /is a directory/);
  });

  it('loads a pair into NCHW bytes with labels', () => {
    const px = pattern(5 * 28 * 28);
    const p = writeIdxPair(dir, 'train', px, [5, 28, 28], [0, 9, 3, 3, 1], true);
    const ds = loadIdxPair(p.images, p.labels, { numClasses: 10, expectSize: [28, 28] });
    expect(ds.count).toBe(5);
    expect(ds.shape).toEqual([1, 28, 28]);
    expect(Array.from(ds.labels)).toEqual([0, 9, 3, 3, 1]);
    expect(ds.images).toEqual(px);
    expect(ds.source).toBe(p.images);
  });

  it('names both files when label and image counts differ', () => {
    const p = writeIdxPair(dir, 'train', pattern(3 * 4), [3, 2, 2], [1, 2]);
    expectFormatError(() => loadIdxPair(p.images, p.labels, { numClasses: 10 }), p.labels, new RegExp(`holds 2 labels but .*train-images-idx3-ubyte holds 3 images`));
  });

  it('rejects labels out of range, with index and range', () => {
    const p = writeIdxPair(dir, 'train', pattern(3 * 4), [3, 2, 2], [1, 10, 2]);
    expectFormatError(() => loadIdxPair(p.images, p.labels, { numClasses: 10 }), p.labels, /label 10 at index 1 is out of range 0..9/);
  });

  it('rejects wrong dimensions and swapped files', () => {
    const p = writeIdxPair(dir, 'train', pattern(2 * 32 * 32), [2, 32, 32], [1, 2]);
    expectFormatError(() => loadIdxPair(p.images, p.labels, { numClasses: 10, expectSize: [28, 28] }), p.images, /images are 32x32 but expected 28x28/);
    expectFormatError(() => loadIdxPair(p.labels, p.images, { numClasses: 10 }), p.labels, /uint8 with dims \[2\] but an image file must be uint8 N x H x W/);
    const wrongType = join(dir, 'f-images-idx3-ubyte');
    writeFileSync(wrongType, encodeIdx({ dtype: 'float32', dims: [2, 32, 32], data: new Float32Array(2048) }));
    expectFormatError(() => loadIdxPair(wrongType, p.labels, { numClasses: 10 }), wrongType, /is IDX float32/);
  });

  it('finds pairs by name, raw preferred over gz', () => {
    writeIdxPair(dir, 'train', pattern(4), [1, 2, 2], [0], true);
    writeIdxPair(dir, 'train', pattern(4), [1, 2, 2], [0], false);
    writeIdxPair(dir, 't10k', pattern(4), [1, 2, 2], [0], true);
    writeFileSync(join(dir, 'README'), 'x');
    const pairs = findIdxPairs(dir);
    expect([...pairs.keys()].sort()).toEqual(['t10k', 'train']);
    expect(pairs.get('train')!.images.endsWith('train-images-idx3-ubyte')).toBe(true);
    expect(pairs.get('t10k')!.labels.endsWith('t10k-labels-idx1-ubyte.gz')).toBe(true);
  });

  it('loadMnist reads a directory and says where it looked when missing', () => {
    writeIdxPair(dir, 'train', pattern(3 * 784), [3, 28, 28], [5, 0, 4], true);
    writeIdxPair(dir, 't10k', pattern(2 * 784, 1), [2, 28, 28], [7, 2], true);
    const { train, test } = loadMnist({ dir });
    expect(train.count).toBe(3);
    expect(test!.count).toBe(2);
    expect(train.classNames).toHaveLength(10);
    const nowhere = join(dir, 'nope');
    expect(() => loadMnist({ dir: nowhere })).toThrow(DatasetNotFoundError);
    expect(() => loadMnist({ dir: nowhere })).toThrow(new RegExp(`looked in '${nowhere}'`));
    expect(() => loadIdxDir(join(dir), { numClasses: 10, stem: 'emnist-x' })).toThrow(/does not hold IDX train files: expected emnist-x-train-images-idx3-ubyte/);
  });

  it('loadEmnist transposes images and shifts letters to 0..25', () => {
    // One 28x28 image stored column-major: pixel (row r, col c) at c*28 + r.
    const rowMajor = pattern(784);
    const colMajor = new Uint8Array(784);
    for (let r = 0; r < 28; r++) for (let c = 0; c < 28; c++) colMajor[c * 28 + r] = rowMajor[r * 28 + c]!;
    writeIdxPair(dir, 'emnist-letters-train', colMajor, [1, 28, 28], [26], true);
    writeIdxPair(dir, 'emnist-letters-test', colMajor, [1, 28, 28], [1], true);
    const { train, test } = loadEmnist({ dir, split: 'letters' });
    expect(train.images).toEqual(rowMajor);
    expect(train.labels[0]).toBe(25);
    expect(test!.labels[0]).toBe(0);
    expect(train.numClasses).toBe(26);
    writeIdxPair(dir, 'emnist-letters-test', colMajor, [1, 28, 28], [0], true);
    expect(() => loadEmnist({ dir, split: 'letters' })).toThrow(/label 0 at index 0 is out of range 1..26/);
    expect(readFileSync(join(dir, 'emnist-letters-test-labels-idx1-ubyte.gz')).length).toBeGreaterThan(0);
  });
});
