import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCpuBackend } from '@stridenet/cpu-js';
import { ArgumentError, FormatError, decodeCheckpoint, decodeSafetensors, encodeCheckpoint, restoreCheckpoint, encodeSafetensors, lenet5, loadWeights, memory, modelFromArchitecture, modelFromFile, setBackend, encodeWeights, tensor } from '@stridenet/core';
import { loadModelFile } from './node.js';

let dir: string;
beforeAll(async () => {
  await setBackend(await createCpuBackend());
  dir = await mkdtemp(join(tmpdir(), 'stridenet-hostile-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A weights file whose metadata claims `architecture` but which holds only `tensors`. */
function claiming(architecture: unknown, tensors: { name: string; shape: number[]; data: Float32Array }[]): Uint8Array {
  return encodeSafetensors(tensors, { format: 'stridenet.weights', architecture: JSON.stringify(architecture) });
}

const bigDense = (units: number) => ({
  type: 'Sequential',
  name: 'claims-a-lot',
  inputShape: [1, 28, 28],
  layers: [{ type: 'Flatten' }, { type: 'Dense', units }, { type: 'Dense', units: 10 }],
});

describe('hostile model files', () => {
  it('a 248 KB file claiming Flatten -> Dense(640000) -> Dense(10) is refused at once, nothing allocated', () => {
    const bytes = claiming(bigDense(640000), [{ name: 'dense_1.weight', shape: [62000], data: new Float32Array(62000) }]);
    expect(bytes.length).toBeGreaterThan(240_000);
    const before = memory().tensors;
    const t0 = performance.now();
    const err = (() => {
      try {
        modelFromFile(bytes, 'big.safetensors');
      } catch (e) {
        return e;
      }
    })();
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(err).toBeInstanceOf(ArgumentError);
    expect((err as Error).message).toBe(
      'big.safetensors: architecture: parameter count is 508800010 but expected at most 268435456 (maxParameters; raise it to load a model this large)',
    );
    expect(memory().tensors).toBe(before);
  });

  it('under the budget, the file must hold every implied parameter with its shape before any weight exists', () => {
    const bytes = claiming(bigDense(100_000), [{ name: 'dense_1.weight', shape: [62000], data: new Float32Array(62000) }]);
    const before = memory().tensors;
    expect(() => modelFromFile(bytes, 'w.safetensors')).toThrow(
      /^w\.safetensors: weights do not fit the model: tensor 'dense_1\.weight' has shape \[62000\] but model 'claims-a-lot' expects \[100000,784\]; missing tensor 'dense_1\.bias'/,
    );
    expect(memory().tensors).toBe(before);
  });

  it('Dense(2e9) is an ArgumentError naming the count, not a RangeError', () => {
    expect(() => modelFromArchitecture(bigDense(2e9), 'arch.json')).toThrow(ArgumentError);
    expect(() => modelFromArchitecture(bigDense(2e9), 'arch.json')).toThrow(/^arch\.json: architecture: parameter count is 1590000000010 but expected at most 268435456/);
    expect(() => modelFromFile(claiming(bigDense(2e9), []), 'f')).toThrow(ArgumentError);
  });

  it('an activation budget refuses huge inputs with few parameters; both limits can be raised', () => {
    const arch = { type: 'Sequential', inputShape: [1, 9000, 9000], layers: [{ type: 'ReLU' }, { type: 'GlobalAvgPool2D' }] };
    expect(() => modelFromArchitecture(arch, 'a')).toThrow(/activation values per example is 81000001 but expected at most 67108864/);
    modelFromArchitecture(arch, 'a', { maxActivationsPerExample: 2 ** 27 }).dispose();
    expect(() => modelFromArchitecture(bigDense(640000), 'b', { maxParameters: 0 })).toThrow(/maxParameters is 0 but expected a positive integer/);
  });

  it('NaN/Inf weights are refused with the tensor and count, unless allowNonFinite', async () => {
    const net = lenet5({ seed: 1 });
    const st = decodeSafetensors(await encodeWeights(net));
    const tensors = [...st.tensors.values()].map((e) => ({ name: e.name, shape: e.shape, data: new Float32Array(e.bytes.slice().buffer) }));
    const fc = tensors.find((t) => t.name === 'fc3.bias')!;
    fc.data[0] = NaN;
    fc.data[3] = -Infinity;
    tensors.find((t) => t.name === 'conv1.weight')!.data[5] = Infinity;
    const bytes = encodeSafetensors(tensors, st.metadata);
    const before = memory().tensors;
    expect(() => modelFromFile(bytes, 'nan.safetensors')).toThrow(
      "nan.safetensors: weights are not finite (a diverged run?): tensor 'conv1.weight' has 1 of 150 values NaN or infinite; tensor 'fc3.bias' has 2 of 10 values NaN or infinite. To load them anyway pass allowNonFinite: true (stridenet eval/predict/info: --allow-non-finite)",
    );
    expect(memory().tensors).toBe(before);
    const target = lenet5({ seed: 2 });
    const kept = await target.parameters()[0]!.value.data();
    expect(() => loadWeights(target, bytes, 'nan.safetensors')).toThrow(/not finite/);
    expect(Array.from(await target.parameters()[0]!.value.data())).toEqual(Array.from(kept));
    const loaded = modelFromFile(bytes, 'nan.safetensors', { allowNonFinite: true });
    const bias = await loaded.parameters().find((p) => p.name === 'fc3.bias')!.value.data();
    expect(Number.isNaN(bias[0])).toBe(true);
    expect(bias[3]).toBe(-Infinity);
    for (const m of [net, target, loaded]) m.dispose();
  });

  it('a checkpoint holding NaN weights is not restored (a diverged run is not resumed and saved again)', async () => {
    const net = lenet5({ seed: 1 });
    const [bias] = net.parameters().filter((p) => p.name === 'fc3.bias');
    bias!.value = tensor(new Float32Array(10).fill(NaN), [10]);
    const ckpt = decodeCheckpoint(await encodeCheckpoint({ model: net, run: {} }), 'latest.safetensors');
    const target = lenet5({ seed: 2 });
    expect(() => restoreCheckpoint(ckpt, target)).toThrow("latest.safetensors: weights are not finite (a diverged run?): tensor 'fc3.bias' has 10 of 10 values NaN or infinite");
    for (const m of [net, target]) m.dispose();
  });

  it('loadModelFile refuses directories and devices before reading', async () => {
    await expect(loadModelFile(dir)).rejects.toThrow(`${dir}: is a directory, expected a .safetensors file`);
    await expect(loadModelFile('/dev/zero')).rejects.toThrow('/dev/zero: is not a regular file (a device, pipe or socket?), expected a .safetensors file');
    const empty = join(dir, 'empty.safetensors');
    await writeFile(empty, '');
    await expect(loadModelFile(empty)).rejects.toThrow(FormatError);
  });
});
