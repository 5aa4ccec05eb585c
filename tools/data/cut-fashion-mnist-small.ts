/**
 * Cuts the bundled default dataset (packages/datasets/data/fashion-mnist-small) from Debian's
 * full Fashion-MNIST: the first 1,000 training and first 200 test images of each class, in file
 * order. No randomness, so the same input always gives the same subset; Fashion-MNIST's files are
 * already shuffled, so the first images of a class are a fair sample of it.
 *
 *   npx tsx --conditions=@stridenet/source tools/data/cut-fashion-mnist-small.ts [sourceDir] [outDir]
 *
 * Source defaults to /usr/share/datasets/fashion-mnist (apt-get install dataset-fashion-mnist).
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { encodeIdx, FASHION_MNIST_CLASS_NAMES, readIdxImages, readIdxLabels } from '../../packages/datasets/src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const sourceDir = process.argv[2] ?? '/usr/share/datasets/fashion-mnist';
const outDir = resolve(process.argv[3] ?? join(here, '../../packages/datasets/data/fashion-mnist-small'));
const PER_CLASS = { train: 1000, t10k: 200 } as const;
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

mkdirSync(outDir, { recursive: true });
const manifest: Record<string, unknown> = {
  name: 'fashion-mnist-small',
  source: "Fashion-MNIST (Zalando Research), Debian package dataset-fashion-mnist",
  selection: 'first N images of each class in file order (train N=1000, t10k N=200), file order kept',
  files: {} as Record<string, unknown>,
};
for (const part of ['train', 't10k'] as const) {
  const imagesIn = join(sourceDir, `${part}-images-idx3-ubyte.gz`);
  const labelsIn = join(sourceDir, `${part}-labels-idx1-ubyte.gz`);
  const img = readIdxImages(imagesIn);
  const labels = readIdxLabels(labelsIn);
  const taken = new Int32Array(10);
  const keep: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    if (taken[labels[i]!]! < PER_CLASS[part]) {
      taken[labels[i]!]++;
      keep.push(i);
    }
  }
  if (taken.some((t) => t !== PER_CLASS[part])) throw new Error(`${part}: not enough images per class: ${[...taken]}`);
  const px = img.height * img.width;
  const outImages = new Uint8Array(keep.length * px);
  const outLabels = new Uint8Array(keep.length);
  keep.forEach((k, i) => {
    outImages.set(img.images.subarray(k * px, (k + 1) * px), i * px);
    outLabels[i] = labels[k]!;
  });
  const idxImages = encodeIdx({ dtype: 'uint8', dims: [keep.length, img.height, img.width], data: outImages });
  const idxLabels = encodeIdx({ dtype: 'uint8', dims: [keep.length], data: outLabels });
  const files = manifest.files as Record<string, unknown>;
  for (const [name, bytes] of [
    [`${part}-images-idx3-ubyte.gz`, idxImages],
    [`${part}-labels-idx1-ubyte.gz`, idxLabels],
  ] as const) {
    // Level 9 and a zero mtime (Node's default) keep the .gz bytes stable across runs on one zlib.
    writeFileSync(join(outDir, name), gzipSync(bytes, { level: 9 }));
    files[name] = { count: keep.length, sha256OfContent: sha256(bytes) };
  }
  console.log(`${part}: ${keep.length} images, ${PER_CLASS[part]} per class, from ${img.count}`);
}
manifest.classNames = [...FASHION_MNIST_CLASS_NAMES];
writeFileSync(join(outDir, 'MANIFEST.json'), JSON.stringify(manifest, null, 2) + '\n');
copyFileSync('/usr/share/doc/dataset-fashion-mnist/copyright', join(outDir, 'LICENSE'));
console.log(`wrote ${outDir}`);
