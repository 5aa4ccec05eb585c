import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCpuBackend } from '@stridenet/cpu-js';
import { setBackend } from '../engine.js';
import { lenet5 } from '../models/zoo/index.js';
import { predict } from '../train/fit.js';
import { decodeSafetensors, entryToFloat32 } from './safetensors.js';
import { loadWeights } from './weights.js';
import { tensor } from '../ops/create.js';
import { Rng } from '../random/philox.js';

// Written by tools/weights/make_lenet5_fixture.py (PyTorch 1.13); see tools/weights/README.md.
const fixture = (name: string) => fileURLToPath(new URL(`../../../../tools/weights/fixtures/${name}`, import.meta.url));

beforeAll(async () => {
  await setBackend(await createCpuBackend());
});

describe('LeNet-5 trained in PyTorch', () => {
  it('loads into the zoo lenet5 and reproduces PyTorch logits within 1e-5', async () => {
    const weightsPath = fixture('lenet5.safetensors');
    const model = lenet5({ seed: 123 });
    loadWeights(model, new Uint8Array(await readFile(weightsPath)), weightsPath);
    const io = decodeSafetensors(new Uint8Array(await readFile(fixture('lenet5-io.safetensors'))), 'lenet5-io.safetensors');
    const images = entryToFloat32(io.tensors.get('images')!);
    const expected = entryToFloat32(io.tensors.get('logits')!);
    const labels = new Int32Array(io.tensors.get('labels')!.bytes.slice().buffer);
    expect(io.tensors.get('images')!.shape).toEqual([8, 1, 28, 28]);

    const x = tensor(images, [8, 1, 28, 28]);
    const y = model.forward(x, { training: false, rng: new Rng(0) });
    const logits = await y.data();
    x.dispose();
    y.dispose();
    let maxDiff = 0;
    for (let i = 0; i < expected.length; i++) maxDiff = Math.max(maxDiff, Math.abs(logits[i]! - expected[i]!));
    expect(maxDiff).toBeLessThan(1e-5);

    // Same argmax as PyTorch, and the fixture's net is better than chance on these images.
    const p = await predict(model, images);
    for (let i = 0; i < 8; i++) {
      const row = Array.from(expected.subarray(i * 10, i * 10 + 10));
      expect(p.classes[i]).toBe(row.indexOf(Math.max(...row)));
    }
    expect(Array.from(p.classes).filter((c, i) => c === labels[i]).length).toBeGreaterThanOrEqual(4);
    model.dispose();
  });
});
