import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { FormatError } from '@stridenet/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadCifar10, loadCifar100, parseCifarRecords } from './cifar.js';
import { DatasetNotFoundError } from './errors.js';
import { cifarRecords, pattern, tempDir } from './test-files.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

function writeCifar10(root: string, perBatch = 3): void {
  mkdirSync(root, { recursive: true });
  for (let b = 1; b <= 5; b++) {
    writeFileSync(join(root, `data_batch_${b}.bin`), cifarRecords(Array.from({ length: perBatch }, (_, i) => [(b + i) % 10]), b * 100));
  }
  writeFileSync(join(root, 'test_batch.bin'), cifarRecords([[9], [0]], 999));
  writeFileSync(join(root, 'batches.meta.txt'), 'airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n');
}

describe('CIFAR-10 binary', () => {
  it('loads five training batches and the test batch, pixels planar as CHW', () => {
    const root = join(dir, 'cifar-10-batches-bin');
    writeCifar10(root);
    // The parent of the unpacked folder works too, as the archive unpacks into a subfolder.
    const { train, test } = loadCifar10({ dir });
    expect(train.count).toBe(15);
    expect(test!.count).toBe(2);
    expect(train.shape).toEqual([3, 32, 32]);
    expect(Array.from(train.labels.subarray(0, 3))).toEqual([1, 2, 3]);
    expect(Array.from(train.labels.subarray(12))).toEqual([5, 6, 7]);
    expect(Array.from(test!.labels)).toEqual([9, 0]);
    expect(train.images.subarray(3072 * 4, 3072 * 5)).toEqual(pattern(3072, 200 + 1));
    // Record 0 of batch 1: red plane, row 0, col 1 is pixel byte 1.
    expect(train.images[1]).toBe(pattern(3072, 100)[1]);
    expect(train.classNames![9]).toBe('truck');
    expect(loadCifar10({ dir: root }).train.count).toBe(15);
  });

  it('reads gzipped batches', () => {
    const root = join(dir, 'gz');
    writeCifar10(root);
    const raw = cifarRecords([[4]], 5);
    writeFileSync(join(root, 'test_batch.bin.gz'), gzipSync(raw));
    expect(loadCifar10({ dir: root }).test!.count).toBe(2); // the raw copy wins when both exist
    rmSync(join(root, 'test_batch.bin'));
    const test = loadCifar10({ dir: root }).test!;
    expect(Array.from(test.labels)).toEqual([4]);
    expect(test.images).toEqual(pattern(3072, 5));
  });

  it('rejects truncated files, bad labels, missing batches, wrong class lists', () => {
    writeCifar10(dir);
    const f = join(dir, 'data_batch_3.bin');
    const rec = cifarRecords([[1], [2]]);
    writeFileSync(f, rec.subarray(0, rec.length - 100));
    expect(() => loadCifar10({ dir })).toThrow(FormatError);
    expect(() => loadCifar10({ dir })).toThrow(/data_batch_3.bin: is 6046 bytes, not a whole number of 3073-byte records/);
    writeFileSync(f, cifarRecords([[1], [12]]));
    expect(() => loadCifar10({ dir })).toThrow(/data_batch_3.bin: label 12 of record 1 \(byte offset 3073\) is out of range 0..9/);
    writeFileSync(f, new Uint8Array(0));
    expect(() => loadCifar10({ dir })).toThrow(/data_batch_3.bin: is empty/);
    writeCifar10(dir);
    writeFileSync(join(dir, 'batches.meta.txt'), 'a\nb\n');
    expect(() => loadCifar10({ dir })).toThrow(/batches.meta.txt: lists 2 class names but the data set has 10 classes/);
    writeCifar10(join(dir, 'x'));
    rmSync(join(dir, 'x', 'data_batch_4.bin'));
    expect(() => loadCifar10({ dir: join(dir, 'x') })).toThrow(/is missing data_batch_4.bin/);
    expect(() => loadCifar10({ dir: join(dir, 'none') })).toThrow(DatasetNotFoundError);
  });

  it('parseCifarRecords reports the file it was given', () => {
    try {
      parseCifarRecords(new Uint8Array(3072), 'some.bin', { labelBytes: 1, labelIndex: 0, numClasses: 10 });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(FormatError);
      expect((e as FormatError).file).toBe('some.bin');
    }
  });
});

describe('CIFAR-100 binary', () => {
  function writeCifar100(root: string) {
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, 'train.bin'), cifarRecords([[3, 42], [19, 99], [0, 0]], 7));
    writeFileSync(join(root, 'test.bin'), cifarRecords([[5, 11]], 8));
    writeFileSync(join(root, 'coarse_label_names.txt'), Array.from({ length: 20 }, (_, i) => `coarse${i}`).join('\n'));
  }

  it('keeps fine labels by default and coarse ones on request', () => {
    writeCifar100(join(dir, 'cifar-100-binary'));
    const fine = loadCifar100({ dir });
    expect(Array.from(fine.train.labels)).toEqual([42, 99, 0]);
    expect(fine.train.numClasses).toBe(100);
    expect(fine.train.classNames).toBeUndefined();
    expect(fine.train.images.subarray(3072, 6144)).toEqual(pattern(3072, 8));
    const coarse = loadCifar100({ dir, labels: 'coarse' });
    expect(Array.from(coarse.train.labels)).toEqual([3, 19, 0]);
    expect(coarse.test!.labels[0]).toBe(5);
    expect(coarse.train.classNames![19]).toBe('coarse19');
  });

  it('checks both label bytes and the 3074-byte record size', () => {
    writeCifar100(dir);
    writeFileSync(join(dir, 'train.bin'), cifarRecords([[3, 42], [20, 5]]));
    expect(() => loadCifar100({ dir })).toThrow(/train.bin: coarse label 20 of record 1 \(byte offset 3074\) is out of range 0..19/);
    writeFileSync(join(dir, 'train.bin'), cifarRecords([[3, 100]]));
    expect(() => loadCifar100({ dir, labels: 'coarse' })).toThrow(/fine label 100 of record 0 .* out of range 0..99/);
    // A CIFAR-10 file (3073-byte records) read as CIFAR-100 does not divide evenly.
    writeFileSync(join(dir, 'train.bin'), cifarRecords([[1], [2]]));
    expect(() => loadCifar100({ dir })).toThrow(/6146 bytes, not a whole number of 3074-byte records .* not a CIFAR-100 binary file/);
    expect(() => loadCifar100({ dir, labels: 'medium' as 'fine' })).toThrow(/labels is 'medium' but expected 'fine' or 'coarse'/);
  });
});
