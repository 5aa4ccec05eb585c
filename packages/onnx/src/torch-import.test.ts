import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng, decodeSafetensors, entryToFloat32, probeBackend, setBackend, startBackend, tensor } from '@stridenet/core';
import { importOnnx } from './index.js';

// Written by tools/weights/make_torch_onnx.py (torch.onnx.export, PyTorch 1.13); see tools/weights/README.md.
const tools = fileURLToPath(new URL('../../../tools/weights/', import.meta.url));
const PYTHON = '/usr/bin/python3';
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
// Backend packages resolve from this package (its devDependencies), not from core.
const importer = (name: string) => import(name) as Promise<Record<string, unknown>>;
// webgpu runs where an adapter exists (in CI, Dawn on the software Vulkan driver, see packages/webgpu/README.md).
const BACKENDS = ['cpu-js', 'wasm', 'native', 'webgpu'];
const probes = await Promise.all(BACKENDS.map((name) => probeBackend(name, { importer })));
for (const p of probes) if (!p.usable) console.warn(`torch-import.test: backend ${p.name} skipped: ${p.reason}`);

let generated = '';
beforeAll(() => {
  if (!hasTorch) return;
  generated = mkdtempSync(join(tmpdir(), 'stridenet-torch-onnx-'));
  for (const model of ['resnet20', 'resnet18']) execFileSync(PYTHON, [join(tools, 'make_torch_onnx.py'), '--model', model, '--out', generated], { stdio: 'pipe' });
}, 180_000);
afterAll(() => {
  if (generated) rmSync(generated, { recursive: true, force: true });
});

/**
 * Imports <dir>/<model>.onnx (or <model>.onnx.gz, gunzipped with node:zlib) and returns
 * max |ours - PyTorch's| / max(1, max |PyTorch's|) on <model>-onnx-io.safetensors.
 */
async function check(dir: string, model: string, gzipped = false): Promise<number> {
  const path = join(dir, `${model}.onnx${gzipped ? '.gz' : ''}`);
  const bytes = readFileSync(path);
  const net = importOnnx(new Uint8Array(gzipped ? gunzipSync(bytes) : bytes), { file: path });
  const io = decodeSafetensors(new Uint8Array(readFileSync(join(dir, `${model}-onnx-io.safetensors`))));
  const images = io.tensors.get('images')!;
  const expected = entryToFloat32(io.tensors.get('logits')!);
  const x = tensor(entryToFloat32(images), images.shape);
  const y = net.forward(x, { training: false, rng: new Rng(0) });
  const got = await y.data();
  [x, y].forEach((t) => t.dispose());
  net.dispose();
  expect(got.length).toBe(expected.length);
  let diff = 0;
  let scale = 1;
  expected.forEach((v, i) => {
    diff = Math.max(diff, Math.abs(v - got[i]!));
    scale = Math.max(scale, Math.abs(v));
  });
  return diff / scale;
}

for (const probe of probes) {
  describe.skipIf(!probe.usable)(`importOnnx: models exported by torch.onnx.export, on ${probe.name}`, () => {
    beforeAll(async () => {
      await setBackend(await startBackend(probe.name, { importer }));
    });

    it('LeNet-5 (committed fixture) matches PyTorch within 1e-4', async () => {
      expect(await check(join(tools, 'fixtures'), 'lenet5')).toBeLessThan(1e-4);
    });

    // Real ResNet-18 graph, ternary weights so that it compresses (make_torch_onnx.py --compact): runs without torch.
    it('ResNet-18 (committed gzipped fixture) matches PyTorch within 1e-4', async () => {
      expect(await check(join(tools, 'fixtures'), 'resnet18-torch', true)).toBeLessThan(1e-4);
    }, 120_000);

    for (const model of ['resnet20', 'resnet18']) {
      it.skipIf(!hasTorch)(`torchvision-named ${model} (exported at test time) matches PyTorch within 1e-4`, async () => {
        expect(await check(generated, model)).toBeLessThan(1e-4);
      }, 120_000);
    }
  });
}
