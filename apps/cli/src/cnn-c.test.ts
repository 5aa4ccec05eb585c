import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModel, evaluate, fit, setBackend, type ImageDataset } from '@stridenet/core';
import { channelStats, datasetToFloat32, loadCifar10, type Dataset } from '@stridenet/datasets';
import { resolveBackend } from './backends.js';

// The three networks of Springenberg et al. (2015), Table 1, trained for one epoch on CIFAR-10
// binary files this test writes. cpu-js needs tens of seconds per All-CNN-C batch, so the test runs
// on the fastest backend built here (native, else wasm; both are built by `pnpm build`).
let dir: string;
let train: ImageDataset;

/** 3x32x32 records whose class is a coloured square at a class-dependent position, plus noise. */
function cifarBytes(count: number, seed: number): Uint8Array {
  const record = 1 + 3072;
  const out = new Uint8Array(count * record);
  let s = seed;
  const rand = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  for (let i = 0; i < count; i++) {
    const label = i % 10;
    const o = i * record;
    out[o] = label;
    for (let p = 0; p < 3072; p++) out[o + 1 + p] = Math.floor(rand() * 90);
    const top = 4 + (label % 5) * 5;
    const left = label < 5 ? 4 : 18;
    for (let c = 0; c < 3; c++)
      for (let y = top; y < top + 8; y++)
        for (let x = left; x < left + 8; x++) out[o + 1 + c * 1024 + y * 32 + x] = c === label % 3 ? 250 : 160;
  }
  return out;
}

function toImageDataset(ds: Dataset): ImageDataset {
  return { images: datasetToFloat32(ds, channelStats(ds)), labels: ds.labels, count: ds.count, shape: [...ds.shape], numClasses: ds.numClasses };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'stridenet-cifar-'));
  const root = join(dir, 'cifar-10-batches-bin');
  mkdirSync(root);
  for (let b = 1; b <= 5; b++) writeFileSync(join(root, `data_batch_${b}.bin`), cifarBytes(64, b));
  writeFileSync(join(root, 'test_batch.bin'), cifarBytes(20, 99));
  const splits = loadCifar10({ dir });
  expect(splits.train.count).toBe(320);
  train = toImageDataset(splits.train);
  for (const name of ['native', 'wasm'] as const) {
    const started = await resolveBackend(name, '').catch(() => undefined);
    if (started) {
      await setBackend(started.backend);
      return;
    }
  }
  throw new Error('neither the native nor the wasm backend can start: run `pnpm build` first');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the All-CNN paper models train on CIFAR-10-format data', () => {
  for (const name of ['allCnnC', 'stridedCnnC', 'convPoolCnnC']) {
    it(`${name}: one epoch lowers the training loss`, async () => {
      const model = createModel(name, { seed: 1 });
      try {
        const before = await evaluate(model, train, { batchSize: 64 });
        const result = await fit(model, train, { epochs: 1, batchSize: 32, seed: 1 });
        expect(result.stopReason).toBe('completed');
        expect(result.history).toHaveLength(1);
        const after = await evaluate(model, train, { batchSize: 64 });
        expect(Number.isFinite(after.loss)).toBe(true);
        expect(after.loss).toBeLessThan(before.loss);
      } finally {
        model.dispose();
      }
    }, 300_000);
  }
});
