import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ArgumentError, FormatError } from '@stridenet/core';
import pngjs from 'pngjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { classCounts } from './dataset.js';
import { DatasetNotFoundError } from './errors.js';
import { DEBIAN_FASHION_MNIST_DIR, FASHION_MNIST_FILES, loadFashionMnist } from './mnist.js';
import { DATASETS, defaultDatasetDir, detectDatasetKind, loadDataset, loadDefaultDataset } from './registry.js';
import { cifarRecords, pattern, tempDir, writeIdxPair } from './test-files.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

const debianPresent = FASHION_MNIST_FILES.every((f) => existsSync(join(DEBIAN_FASHION_MNIST_DIR, f.fileName)));

describe('bundled fashion-mnist-small', () => {
  it('loads 10,000 + 2,000 images, balanced over 10 classes, matching its manifest', async () => {
    const { train, test } = loadDefaultDataset();
    expect(train.count).toBe(10000);
    expect(test!.count).toBe(2000);
    expect(train.shape).toEqual([1, 28, 28]);
    expect(train.classNames![9]).toBe('Ankle boot');
    expect(Array.from(classCounts(train))).toEqual(new Array(10).fill(1000));
    expect(Array.from(classCounts(test!))).toEqual(new Array(10).fill(200));
    // Not grouped by class: the file order of the original is kept.
    expect(new Set(train.labels.subarray(0, 50)).size).toBe(10);
    const manifest = JSON.parse(readFileSync(join(defaultDatasetDir(), 'MANIFEST.json'), 'utf8'));
    for (const [name, info] of Object.entries(manifest.files as Record<string, { sha256OfContent: string }>)) {
      const content = gunzipSync(readFileSync(join(defaultDatasetDir(), name)));
      expect(createHash('sha256').update(content).digest('hex'), name).toBe(info.sha256OfContent);
    }
    expect(readFileSync(join(defaultDatasetDir(), 'LICENSE'), 'utf8')).toMatch(/Zalando SE/);
    const byName = await loadDataset();
    // Buffer.equals: a deep toEqual over 7.8 million elements takes minutes.
    expect(Buffer.from(byName.train.images).equals(Buffer.from(train.images))).toBe(true);
  });
});

describe('loadDataset by name and by path', () => {
  it('knows its names and asks for a directory where one is needed', async () => {
    expect(DATASETS.map((d) => d.name)).toEqual(['fashion-mnist-small', 'fashion-mnist', 'mnist', 'cifar10', 'cifar100']);
    await expect(loadDataset('cifar10')).rejects.toThrow(/dir is undefined but expected the directory holding the cifar10 files/);
    await expect(loadDataset('imagenet')).rejects.toThrow(ArgumentError);
    await expect(loadDataset('imagenet')).rejects.toThrow(/dataset is 'imagenet' but expected a known name \(fashion-mnist-small, fashion-mnist, mnist, cifar10, cifar100\) or an existing directory/);
    await expect(loadDataset('mnist', { dir: join(dir, 'x') })).rejects.toThrow(DatasetNotFoundError);
  });

  it('detects an IDX directory and takes the class count from its labels', async () => {
    writeIdxPair(dir, 'train', pattern(5 * 16), [5, 4, 4], [0, 4, 2, 1, 3], true);
    writeIdxPair(dir, 't10k', pattern(16), [1, 4, 4], [1], true);
    expect(detectDatasetKind(dir)).toBe('idx');
    const { train, test } = await loadDataset(dir);
    expect(train.numClasses).toBe(5);
    expect(test!.numClasses).toBe(5);
    expect(train.shape).toEqual([1, 4, 4]);
  });

  it('a stray IDX label does not invent classes; test labels and shapes must match the training split', async () => {
    const labels = Array.from({ length: 30 }, (_, i) => i % 10);
    labels[17] = 200;
    writeIdxPair(dir, 'train', pattern(30 * 16), [30, 4, 4], labels);
    writeIdxPair(dir, 't10k', pattern(16), [1, 4, 4], [1]);
    await expect(loadDataset(dir)).rejects.toThrow(
      `${dir}: training label 200 (example 17) would make 201 classes, but 190 of them (10..199) have no training example: labels must number the classes 0..K-1; pass numClasses to declare the count`,
    );
    await expect(loadDataset(dir, { numClasses: 10 })).rejects.toThrow(`${dir}: training label 200 (example 17) is out of range 0..9 (numClasses)`);
    expect((await loadDataset(dir, { numClasses: 201 })).train.numClasses).toBe(201);
    await expect(loadDataset(dir, { numClasses: 1 })).rejects.toThrow(/numClasses is 1 but expected an integer from 2 to 256/);

    labels[17] = 7;
    writeIdxPair(dir, 'train', pattern(30 * 16), [30, 4, 4], labels);
    writeIdxPair(dir, 't10k', pattern(16), [1, 4, 4], [12]);
    await expect(loadDataset(dir)).rejects.toThrow(`${dir}: test label 12 (example 0) is out of range 0..9 (the classes the training labels number)`);

    writeIdxPair(dir, 't10k', pattern(25), [1, 5, 5], [1]);
    await expect(loadDataset(dir)).rejects.toThrow(/test images are \[1,5,5\] \(.*\) but training images are \[1,4,4\] \(.*\); both splits must have one shape/);
  });

  it('detects CIFAR-10, CIFAR-100 and image folders', async () => {
    const c10 = join(dir, 'c10', 'cifar-10-batches-bin');
    mkdirSync(c10, { recursive: true });
    for (let b = 1; b <= 5; b++) writeFileSync(join(c10, `data_batch_${b}.bin`), cifarRecords([[b]]));
    writeFileSync(join(c10, 'test_batch.bin'), cifarRecords([[0]]));
    expect(detectDatasetKind(join(dir, 'c10'))).toBe('cifar10');
    expect((await loadDataset(join(dir, 'c10'))).train.count).toBe(5);

    const c100 = join(dir, 'c100');
    mkdirSync(c100);
    writeFileSync(join(c100, 'train.bin'), cifarRecords([[1, 50]]));
    writeFileSync(join(c100, 'test.bin'), cifarRecords([[1, 51]]));
    expect(detectDatasetKind(c100)).toBe('cifar100');
    expect((await loadDataset(c100)).test!.labels[0]).toBe(51);
    expect((await loadDataset('cifar100', { dir: c100, labels: 'coarse' })).train.numClasses).toBe(20);

    const folder = join(dir, 'pics');
    for (const cls of ['a', 'b']) {
      mkdirSync(join(folder, cls), { recursive: true });
      const png = new pngjs.PNG({ width: 2, height: 2 });
      png.data.fill(cls === 'a' ? 10 : 200);
      writeFileSync(join(folder, cls, 'x.png'), pngjs.PNG.sync.write(png));
    }
    expect(detectDatasetKind(folder)).toBe('image-folder');
    const pics = await loadDataset(folder);
    expect(pics.train.classNames).toEqual(['a', 'b']);
    expect(pics.test).toBeUndefined();

    const empty = join(dir, 'empty');
    mkdirSync(empty);
    await expect(loadDataset(empty)).rejects.toThrow(FormatError);
    await expect(loadDataset(empty)).rejects.toThrow(/is not a recognised dataset directory/);
  });
});

describe('full Fashion-MNIST', () => {
  it('says where it looked and how to get the data', async () => {
    const missing = join(dir, 'fm');
    const err = await loadFashionMnist({ dir: missing }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetNotFoundError);
    expect((err as DatasetNotFoundError).searched).toEqual([missing]);
    expect((err as Error).message).toMatch(/dataset-fashion-mnist/);
  });

  it.runIf(!debianPresent)('without the Debian package, names the Debian location and the cache', async () => {
    const err = await loadFashionMnist({ download: undefined }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetNotFoundError);
    expect((err as DatasetNotFoundError).searched[0]).toBe(DEBIAN_FASHION_MNIST_DIR);
  });

  it.runIf(debianPresent)("loads Debian's copy: 60,000 + 10,000, 6,000 and 1,000 per class", async () => {
    const { train, test } = await loadFashionMnist();
    expect(train.count).toBe(60000);
    expect(test!.count).toBe(10000);
    expect(Array.from(classCounts(train))).toEqual(new Array(10).fill(6000));
    expect(Array.from(classCounts(test!))).toEqual(new Array(10).fill(1000));
    // The bundled subset is the first 1,000 of each class, so its first image is the full set's first.
    const small = loadDefaultDataset().train;
    expect(small.images.subarray(0, 784)).toEqual(train.images.subarray(0, 784));
  });

  it.runIf(debianPresent)('downloads into the named directory over HTTP, checked against the pinned checksums', async () => {
    const served: string[] = [];
    const server: Server = createServer((req, res) => {
      const name = req.url!.replace(/^\/fm\//, '');
      served.push(name);
      if (!FASHION_MNIST_FILES.some((f) => f.fileName === name)) return void res.writeHead(404).end();
      createReadStream(join(DEBIAN_FASHION_MNIST_DIR, name)).pipe(res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/fm`;
      const target = join(dir, 'fashion');
      const { train, test } = await loadFashionMnist({ dir: target, download: { baseUrl } });
      expect(train.count).toBe(60000);
      expect(test!.count).toBe(10000);
      expect(served.sort()).toEqual(FASHION_MNIST_FILES.map((f) => f.fileName).sort());
      // A second call finds the files and makes no request.
      await loadFashionMnist({ dir: target, download: { baseUrl } });
      expect(served).toHaveLength(4);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
