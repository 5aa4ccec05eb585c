import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCpuBackend } from '@stridenet/cpu-js';
import { setBackend, FormatError, fit, Adam, lenet5, encodeSafetensors, decodeSafetensors, entryToFloat32 } from '@stridenet/core';
import { loadCheckpoint, loadModelFile, loadWeightsFile, readCheckpoint, saveCheckpoint, saveWeightsFile, writeFileAtomic } from './node.js';
import { syntheticData, TinyModel, weightsOf } from '../train/tiny-model.testutil.js';

let dir: string;
beforeAll(async () => {
  await setBackend(await createCpuBackend());
  dir = await mkdtemp(join(tmpdir(), 'stridenet-io-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('node file I/O', () => {
  it('writes atomically: replaces the target, leaves no temporary file', async () => {
    const path = join(dir, 'a.bin');
    await writeFile(path, 'old');
    await writeFileAtomic(path, new TextEncoder().encode('new contents'));
    expect(await readFile(path, 'utf8')).toBe('new contents');
    expect(await readdir(dir)).toEqual(['a.bin']);
    await expect(writeFileAtomic(join(dir, 'missing-dir', 'b.bin'), new Uint8Array(1))).rejects.toThrow(/ENOENT/);
    expect(await readdir(dir)).toEqual(['a.bin']);
    await rm(path);
  });

  it('checkpoint save/load through files resumes the same run', async () => {
    const data = syntheticData(24);
    const model = new TinyModel(3);
    const opt = new Adam({ lr: 0.01 });
    const path = join(dir, 'run.ckpt');
    const r = await fit(model, data, { epochs: 1, batchSize: 8, optimizer: opt, seed: 3 });
    await saveCheckpoint(path, { model, optimizer: opt, state: r.state, run: { dataset: 'synthetic' } });
    const meta = await readCheckpoint(path);
    expect(meta.state).toMatchObject({ epoch: 1, step: 3 });
    expect(meta.run).toEqual({ dataset: 'synthetic' });
    const fresh = new TinyModel(9);
    const restored = await loadCheckpoint(path, fresh);
    expect(restored.optimizer!.iterations).toBe(3);
    const [a, b] = [await weightsOf(model), await weightsOf(fresh)];
    a.forEach((t, i) => expect(Array.from(b[i]!)).toEqual(Array.from(t)));
    const missing = join(dir, 'nope.ckpt');
    await expect(loadCheckpoint(missing, fresh)).rejects.toThrow(`${missing}: no such file`);
    restored.optimizer!.dispose();
    opt.dispose();
    model.dispose();
    fresh.dispose();
  });

  it('weights files rebuild a zoo model; an unknown layer type is a FormatError naming the file', async () => {
    const net = lenet5({ seed: 1 });
    const path = join(dir, 'lenet5.safetensors');
    await saveWeightsFile(path, net);
    const copy = await loadModelFile(path);
    expect(copy.toJSON()).toEqual(net.toJSON());
    const [a, b] = [await Promise.all(net.parameters().map((p) => p.value.data())), await Promise.all(copy.parameters().map((p) => p.value.data()))];
    a.forEach((t, i) => expect(Array.from(b[i]!)).toEqual(Array.from(t)));

    const st = decodeSafetensors(await readFile(path));
    const arch = JSON.parse(st.metadata.architecture!);
    arch.layers[1].type = 'FancyPool';
    const bad = join(dir, 'bad-arch.safetensors');
    await writeFile(bad, encodeSafetensors([...st.tensors.values()].map((e) => ({ name: e.name, shape: e.shape, data: entryToFloat32(e) })), { ...st.metadata, architecture: JSON.stringify(arch) }));
    const err = await loadModelFile(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect((err as Error).message).toMatch(new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: architecture cannot be built: .*'FancyPool'`));

    const other = lenet5({ seed: 2, numClasses: 7 });
    const before = await Promise.all(other.parameters().map((p) => p.value.data()));
    await expect(loadWeightsFile(other, path)).rejects.toThrow(/fc3\.weight' has shape \[10,84\] but model 'lenet5' expects \[7,84\]/);
    const after = await Promise.all(other.parameters().map((p) => p.value.data()));
    after.forEach((t, i) => expect(Array.from(t)).toEqual(Array.from(before[i]!)));
    for (const m of [net, copy, other]) m.dispose();
  });
});
