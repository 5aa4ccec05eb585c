import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCpuBackend } from '@stridenet/cpu-js';
import { setBackend } from '../engine.js';
import { ArgumentError, FormatError, UnknownOptionError } from '../errors.js';
import { lenet5, resnet18, resnet20 } from '../models/zoo/index.js';
import type { Model } from '../models/types.js';
import { tensor } from '../ops/create.js';
import { Rng } from '../random/philox.js';
import { decodeSafetensors, encodeSafetensors, entryToFloat32, type SafetensorsInput } from './safetensors.js';
import { encodeWeights, loadStateDict, loadWeights, modelTensors } from './weights.js';

// Written by tools/weights/make_resnet_fixture.py (PyTorch 1.13); see tools/weights/README.md.
const tools = fileURLToPath(new URL('../../../../tools/weights/', import.meta.url));
const PYTHON = '/usr/bin/python3';
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

beforeAll(async () => {
  await setBackend(await createCpuBackend());
});

/** Max |ours - PyTorch's| over the max |PyTorch's| (at least 1). */
async function relativeError(model: Model, ioPath: string): Promise<number> {
  const io = decodeSafetensors(new Uint8Array(readFileSync(ioPath)), ioPath);
  const images = io.tensors.get('images')!;
  const expected = entryToFloat32(io.tensors.get('logits')!);
  const x = tensor(entryToFloat32(images), images.shape);
  const y = model.forward(x, { training: false, rng: new Rng(0) });
  const got = await y.data();
  x.dispose();
  y.dispose();
  expect(got.length).toBe(expected.length);
  let diff = 0;
  let scale = 1;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(got[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return diff / scale;
}

const bytesOf = (path: string) => new Uint8Array(readFileSync(path));

describe("PyTorch state_dicts (names: 'pytorch')", () => {
  it('loads a torchvision-style ResNet-20 state_dict (F16, I64 counters) and matches PyTorch within 1e-4', async () => {
    const path = join(tools, 'fixtures/resnet20.safetensors');
    const model = resnet20({ seed: 1 });
    const report = loadStateDict(model, bytesOf(path), path, { names: 'pytorch' });
    expect(report.loaded.length).toBe(model.parameters().length);
    expect(report.loaded).toContain('layer2.0.downsample.1.runningVar');
    expect(report.ignored.length).toBe(21); // one num_batches_tracked per batch norm (19 + 2 downsample)
    expect(report.ignored[0]).toEqual({ name: 'bn1.num_batches_tracked', note: expect.stringMatching(/step counter/) });
    expect(report.missing).toEqual([]);
    expect(report.unexpected).toEqual([]);
    expect(report.metadata.source).toBe('tools/weights/make_resnet_fixture.py');
    expect(await relativeError(model, join(tools, 'fixtures/resnet20-io.safetensors'))).toBeLessThan(1e-4);
    model.dispose();
  });

  it('refuses PyTorch names without the mapping, listing missing and unexpected tensors', () => {
    const path = join(tools, 'fixtures/resnet20.safetensors');
    const model = resnet20();
    const err = (() => {
      try {
        loadWeights(model, bytesOf(path), path);
      } catch (e) {
        return e as Error;
      }
      throw new Error('loaded');
    })();
    expect(err).toBeInstanceOf(FormatError);
    expect(err.message).toMatch(/missing tensor 'bn1\.runningMean'/);
    expect(err.message).toMatch(/unexpected tensor 'bn1\.running_mean'/);
    expect(err.message).toMatch(/This looks like a PyTorch state_dict: pass names: 'pytorch'$/);
    model.dispose();
  });

  it('strict: false keeps missing parameters, skips unexpected tensors and reports both', async () => {
    const source = lenet5({ seed: 3 });
    const list = (await modelTensors(source)).filter((t) => !t.name.startsWith('fc3.'));
    list.push({ name: 'head.weight', shape: [2], data: new Float32Array(2) });
    const target = lenet5({ seed: 4 });
    const before = await target.parameters().find((p) => p.name === 'fc3.weight')!.value.data();
    const bytes = encodeSafetensors(list);
    expect(() => loadWeights(target, bytes, 'part.safetensors')).toThrow(/missing tensor 'fc3\.weight'.*unexpected tensor 'head\.weight'/);
    const report = loadStateDict(target, bytes, 'part.safetensors', { strict: false });
    expect(report.missing).toEqual(['fc3.weight', 'fc3.bias']);
    expect(report.unexpected).toEqual(['head.weight']);
    expect(report.loaded).toEqual(['conv1.weight', 'conv1.bias', 'conv2.weight', 'conv2.bias', 'fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
    expect(await target.parameters().find((p) => p.name === 'fc3.weight')!.value.data()).toEqual(before);
    expect(await target.parameters().find((p) => p.name === 'fc1.bias')!.value.data()).toEqual(list.find((t) => t.name === 'fc1.bias')!.data);
    source.dispose();
    target.dispose();
  });

  it('converts F64 tensors, refuses integer ones naming tensor and dtype, and leaves the model unchanged', async () => {
    const source = lenet5({ seed: 5 });
    const f32 = await modelTensors(source);
    const f64: SafetensorsInput[] = f32.map((t) => ({ ...t, data: Float64Array.from(t.data as Float32Array) }));
    const target = lenet5({ seed: 6 });
    loadWeights(target, encodeSafetensors(f64), 'f64.safetensors');
    expect(await target.parameters()[0]!.value.data()).toEqual(f32[0]!.data);
    // A double beyond float32's range would load as Infinity: refused like any non-finite weight.
    f64[1]!.data[0] = 1e300;
    expect(() => loadWeights(target, encodeSafetensors(f64), 'big.safetensors')).toThrow(/tensor 'conv1\.bias' has 1 of 6 values NaN or infinite \(as float32\)/);
    const ints = f32.map((t) => (t.name === 'conv1.bias' ? { ...t, data: new BigInt64Array(6) } : t));
    expect(() => loadWeights(target, encodeSafetensors(ints), 'int.safetensors')).toThrow(/tensor 'conv1\.bias' is I64 but parameter 'conv1\.bias' of model 'lenet5' needs a float dtype/);
    expect(await target.parameters()[0]!.value.data()).toEqual(f32[0]!.data);
    source.dispose();
    target.dispose();
  });

  it('takes a names function (null ignores a tensor) and checks the option values', async () => {
    const source = lenet5({ seed: 7 });
    const renamed = (await modelTensors(source)).map((t) => ({ ...t, name: `net.${t.name}` }));
    renamed.push({ name: 'net.step', shape: [], data: new BigInt64Array(1) });
    const bytes = encodeSafetensors(renamed);
    const target = lenet5({ seed: 8 });
    const report = loadStateDict(target, bytes, 'prefixed.safetensors', { names: (n) => (n === 'net.step' ? null : n.slice(4)) });
    expect(report.ignored).toEqual([{ name: 'net.step', note: 'the names function returned null' }]);
    expect(await target.parameters()[2]!.value.data()).toEqual(renamed[2]!.data);
    expect(() => loadWeights(target, bytes, 'p', { names: () => 'conv1.weight' })).toThrow(/tensors 'net\.conv1\.weight' and 'net\.conv1\.bias' both map to parameter 'conv1\.weight'/);
    expect(() => loadWeights(target, bytes, 'p', { names: (() => 3) as never })).toThrow(ArgumentError);
    expect(() => loadWeights(target, bytes, 'p', { names: 'torch' as never })).toThrow(/loadWeights: names is 'torch' but expected 'stridenet', 'pytorch' or a function/);
    expect(() => loadWeights(target, bytes, 'p', { strict: 'no' as never })).toThrow(/loadWeights: strict is 'no' but expected true or false/);
    expect(() => loadWeights(target, bytes, 'p', { rename: 1 } as never)).toThrow(UnknownOptionError);
    // Our own files still load with the default names.
    expect(loadWeights(target, await encodeWeights(source), 'own').format).toBe('stridenet.weights');
    source.dispose();
    target.dispose();
  });

  it.skipIf(!hasTorch)('loads a full torchvision-style ResNet-18 state_dict written by PyTorch and matches its outputs within 1e-4', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stridenet-resnet18-'));
    try {
      execFileSync(PYTHON, [join(tools, 'make_resnet_fixture.py'), '--model', 'resnet18', '--dtype', 'F32', '--out', dir], { stdio: 'pipe' });
      const model = resnet18({ numClasses: 10, inputShape: [3, 32, 32], seed: 2 });
      const report = loadStateDict(model, bytesOf(join(dir, 'resnet18.safetensors')), 'resnet18.safetensors', { names: 'pytorch' });
      expect(report.loaded.length).toBe(model.parameters().length);
      expect(report.ignored.map((i) => i.name)).toContain('layer4.1.bn2.num_batches_tracked');
      expect(await relativeError(model, join(dir, 'resnet18-io.safetensors'))).toBeLessThan(1e-4);
      model.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
