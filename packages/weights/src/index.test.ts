import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCpuBackend } from '@stridenet/cpu-js';
import { ArgumentError, FormatError, ShapeError, UnknownOptionError, createModel, decodeSafetensors, entryToFloat32, memory, predict, setBackend } from '@stridenet/core';
import { parseIdx } from '@stridenet/datasets';
import { createPretrained, listPretrained, normalizeImages, pretrainedInfo, pretrainedWeights } from './index.js';

const pkg = join(import.meta.dirname, '..');
const small = join(pkg, '../datasets/data/fashion-mnist-small');
const idx = (name: string) => parseIdx(new Uint8Array(gunzipSync(readFileSync(join(small, name)))));

beforeAll(async () => {
  await setBackend(await createCpuBackend());
});

describe('the manifest', () => {
  it('lists LeNet-5 and CCPCCP on Fashion-MNIST with their accuracy and recipe', () => {
    const names = listPretrained().map((m) => `${m.model}/${m.dataset}`);
    expect(names).toEqual(expect.arrayContaining(['lenet5/fashion-mnist', 'ccpccp/fashion-mnist']));
    for (const m of listPretrained()) {
      expect(m.testImages).toBe(10_000);
      expect(m.accuracy).toBe(m.dtype === 'F16' ? m.accuracyF16 : m.accuracyF32);
      expect(m.command).toContain(`--model ${m.model} --dataset ${m.dataset}`);
      expect(m.command).toContain(`--epochs ${m.epochs} --seed ${m.seed}`);
      expect(m.parameters).toBe(createModel(m.model).countParams().total);
    }
  });

  for (const m of listPretrained()) {
    it(`${m.model}/${m.dataset}: the embedded bytes are the repository's weights file, whose metadata matches the manifest`, async () => {
      const bytes = await pretrainedWeights(m.model, m.dataset);
      const onDisk = new Uint8Array(readFileSync(join(pkg, 'weights', m.file)));
      expect(bytes.length).toBe(m.bytes);
      expect(Buffer.from(bytes).equals(Buffer.from(onDisk))).toBe(true);
      const st = decodeSafetensors(bytes, m.file);
      expect([...st.tensors.values()].every((e) => e.dtype === m.dtype)).toBe(true);
      expect(st.metadata.architecture).toBe(JSON.stringify(createModel(m.model).toJSON()));
      const run = JSON.parse(st.metadata.run!) as Record<string, unknown>;
      expect(run).toMatchObject({ model: m.model, dataset: m.dataset, ...m.run });
    });
  }
});

describe('createPretrained', () => {
  it('loads LeNet-5 with the file weights and classifies the bundled Fashion-MNIST test images at its accuracy', async () => {
    const start = memory().tensors;
    const p = await createPretrained('lenet5', 'fashion-mnist');
    const file = decodeSafetensors(readFileSync(join(pkg, 'weights', p.info.file)));
    for (const param of p.model.parameters()) {
      expect(Array.from(await param.value.data())).toEqual(Array.from(entryToFloat32(file.tensors.get(param.name)!)));
    }
    expect(p.classNames[9]).toBe('Ankle boot');
    expect(p.inputShape).toEqual([1, 28, 28]);
    // The bundled subset is 2,000 images of the real test set (the first 200 of each class).
    const images = idx('t10k-images-idx3-ubyte.gz').data as Uint8Array;
    const labels = idx('t10k-labels-idx1-ubyte.gz').data as Uint8Array;
    const result = await predict(p.model, p.normalize(images), { topK: 1 });
    const correct = labels.reduce((n, label, i) => n + (result.topK!.indices[i] === label ? 1 : 0), 0);
    expect(labels.length).toBe(2000);
    expect(correct / labels.length).toBeGreaterThan(p.info.accuracy - 0.02);
    p.model.dispose();
    expect(memory().tensors).toBe(start);
  });

  it('refuses bytes whose SHA-256 is not the manifest one, naming both, and builds nothing', async () => {
    const start = memory().tensors;
    const good = await pretrainedWeights('lenet5', 'fashion-mnist');
    const bad = good.slice();
    bad[bad.length - 1] ^= 1;
    const info = pretrainedInfo('lenet5', 'fashion-mnist');
    const message = `lenet5-fashion-mnist.safetensors: SHA-256 is `;
    await expect(createPretrained('lenet5', 'fashion-mnist', { bytes: bad })).rejects.toThrow(FormatError);
    await expect(createPretrained('lenet5', 'fashion-mnist', { bytes: bad })).rejects.toThrow(message);
    await expect(pretrainedWeights('lenet5', 'fashion-mnist', { bytes: good.subarray(1) })).rejects.toThrow(`but expected ${info.sha256} (${info.bytes} bytes)`);
    expect(memory().tensors).toBe(start);
    // The right bytes from elsewhere (e.g. fetched) pass the same check.
    await expect(pretrainedWeights('lenet5', 'fashion-mnist', { bytes: good.slice() })).resolves.toHaveLength(info.bytes);
  });

  it('names the pretrained models, datasets and options that exist', async () => {
    await expect(createPretrained('resnet18', 'fashion-mnist')).rejects.toThrow(ArgumentError);
    await expect(createPretrained('resnet18', 'fashion-mnist')).rejects.toThrow(
      "createPretrained: model is 'resnet18' but expected one of the pretrained models 'ccpccp', 'lenet5' (other zoo models come untrained from createModel in @stridenet/core)",
    );
    await expect(createPretrained('lenet5', 'mnist')).rejects.toThrow("createPretrained: dataset is 'mnist' but expected one of 'fashion-mnist' for 'lenet5'");
    await expect(createPretrained('lenet5', 'fashion-mnist', { url: 'x' } as never)).rejects.toThrow(UnknownOptionError);
    await expect(pretrainedWeights('lenet5', 'fashion-mnist', { bytes: [1, 2] as never })).rejects.toThrow(
      "pretrainedWeights: bytes is [1,2] but expected a Uint8Array of the safetensors file",
    );
  });
});

describe('normalizeImages', () => {
  const run = { normalization: { mean: [0.5, 0.25], std: [0.5, 0.25] }, classNames: ['a'], inputShape: [2, 1, 2] };

  it('normalises each channel, from bytes in [0, 255] or floats in [0, 1]', () => {
    const floats = Float32Array.of(0, 1, 0.25, 0.5, 1, 0.5, 0, 0.75);
    const want = [-1, 1, 0, 1, 1, 0, -1, 2];
    expect(Array.from(normalizeImages(floats, run))).toEqual(want);
    const bytes = Uint8Array.of(0, 255, 64, 128, 255, 127, 0, 191);
    const fromBytes = normalizeImages(bytes, run);
    normalizeImages(Float32Array.from(bytes, (v) => v / 255), run).forEach((v, i) => expect(fromBytes[i]).toBeCloseTo(v, 6));
    expect(fromBytes[1]).toBe(1);
  });

  it('refuses a length that is not a whole number of images, and other arrays', () => {
    expect(() => normalizeImages(new Float32Array(6), run)).toThrow(ShapeError);
    expect(() => normalizeImages(new Float32Array(6), run)).toThrow('normalize: images length is 6 but expected a multiple of 4 (images of [2,1,2])');
    expect(() => normalizeImages([0, 1] as never, run)).toThrow(/normalize: images is .* but expected a Float32Array in \[0, 1\] or a Uint8Array in \[0, 255\]/);
  });
});
