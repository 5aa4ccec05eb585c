// Helpers for the tests: write real-format files into a temporary directory.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { encodeIdx } from './idx.js';

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'stridenet-datasets-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Deterministic pixel values so tests can check where each byte landed. */
export function pattern(n: number, salt = 0): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + salt * 17 + (i >> 5)) & 0xff;
  return out;
}

export function writeIdxPair(dir: string, prefix: string, images: Uint8Array, dims: [number, number, number], labels: ArrayLike<number>, gz = false): { images: string; labels: string } {
  const ext = gz ? '.gz' : '';
  const imagesFile = join(dir, `${prefix}-images-idx3-ubyte${ext}`);
  const labelsFile = join(dir, `${prefix}-labels-idx1-ubyte${ext}`);
  const ib = encodeIdx({ dtype: 'uint8', dims, data: images });
  const lb = encodeIdx({ dtype: 'uint8', dims: [labels.length], data: Uint8Array.from(labels) });
  writeFileSync(imagesFile, gz ? gzipSync(ib) : ib);
  writeFileSync(labelsFile, gz ? gzipSync(lb) : lb);
  return { images: imagesFile, labels: labelsFile };
}

/** CIFAR records: label byte(s) then 3072 planar pixel bytes. */
export function cifarRecords(labels: number[][], salt = 0): Uint8Array {
  const rec = labels[0]!.length + 3072;
  const out = new Uint8Array(labels.length * rec);
  labels.forEach((ls, i) => {
    out.set(ls, i * rec);
    out.set(pattern(3072, salt + i), i * rec + ls.length);
  });
  return out;
}
