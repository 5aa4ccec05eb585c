import { createRequire } from 'node:module';
import { conv2d, createModel, setBackend, tensor } from '@stridenet/core';
import { createCpuBackend } from '@stridenet/cpu-js';
import { beforeAll, describe, expect, it } from 'vitest';
import { deviation, makeInputs } from './data.js';
import { measure, quantile } from './measure.js';
import { modelIr } from './model-ir.js';
import { encodeModel } from '@stridenet/onnx';
import { modelGraph } from './runners/onnx.js';
import type { Prepared } from './runners/types.js';
import { createStridenetRunner, ourRunner } from './runners/stridenet.js';
import { compiledWorkload, convWorkload, modelWorkload, modelWorkloads, opWorkloads } from './workloads.js';

const hasOrt = (() => {
  try {
    createRequire(import.meta.url).resolve('onnxruntime-node');
    return true;
  } catch {
    return false;
  }
})();

beforeAll(async () => {
  await setBackend(await createCpuBackend());
});

describe('compiled model rows', () => {
  it('a compiled ResNet-20 inference row gives the eager row\'s output, with no leak', async () => {
    const runner = await createStridenetRunner('cpu-js', 1);
    if (typeof runner === 'string') throw new Error(runner);
    const eager = modelWorkload('resnet20', 'infer', 2, [3, 16, 16]);
    const compiled = compiledWorkload(eager);
    expect(compiled.id).toBe(`${eager.id}/compiled`);
    const outputs: Float32Array[] = [];
    for (const w of [eager, compiled]) {
      const p = await runner.prepare(w, await makeInputs(w));
      await p.runIterations(2);
      outputs.push(await p.output());
      expect(await p.dispose()).toBe(0);
    }
    expect(deviation(outputs[1]!, outputs[0]!).relative).toBeLessThan(1e-5);
    expect(() => compiledWorkload(convWorkload('x', [1, 1, 4, 4], [1, 1, 3, 3], {}, 'forward'))).toThrow(/not a model workload/);
  });

  it('a compiled ResNet-20 training row gives the eager row\'s loss and training check, with no leak', async () => {
    const runner = await createStridenetRunner('cpu-js', 1);
    if (typeof runner === 'string') throw new Error(runner);
    const eager = modelWorkload('resnet20', 'train', 2, [3, 16, 16]);
    const compiled = compiledWorkload(eager);
    expect(compiled.id).toBe(`${eager.id}/compiled`);
    const outputs: Float32Array[] = [];
    const checks: Float32Array[] = [];
    for (const w of [eager, compiled]) {
      const inputs = await makeInputs(w);
      const p = await runner.prepare(w, inputs);
      await p.runIterations(2);
      outputs.push(await p.output());
      expect(await p.dispose()).toBe(0);
      checks.push((await runner.trainCheck!(w, inputs, 2)).losses);
    }
    expect(deviation(outputs[1]!, outputs[0]!).relative).toBeLessThan(1e-5);
    expect(deviation(checks[1]!, checks[0]!).relative).toBeLessThan(1e-5);
  });
});

describe('native ISA runners', () => {
  it('native-<isa> names the native backend with that path forced; other ids are not ours', () => {
    expect(ourRunner('native')).toEqual({ name: 'native' });
    expect(ourRunner('native-avx2')).toEqual({ name: 'native', isa: 'avx2' });
    expect(ourRunner('native-portable')).toEqual({ name: 'native', isa: 'portable' });
    expect(ourRunner('native-sse2')).toBeUndefined();
    expect(ourRunner('torch')).toBeUndefined();
  });

  it('native-portable runs the portable kernels and says so; a path this CPU lacks is a reason naming what it has', async () => {
    const runner = await createStridenetRunner('native', 1, 'portable');
    if (typeof runner === 'string') throw new Error(runner);
    try {
      expect(runner.info.id).toBe('native-portable');
      expect(runner.info.label).toBe('stridenet native (portable forced)');
      expect(runner.info.device).toMatch(/portable/i);
      const w = convWorkload('c', [1, 2, 6, 6], [3, 2, 3, 3], {}, 'forward');
      const p = await runner.prepare(w, await makeInputs(w));
      await p.runIterations(1);
      expect((await p.output()).length).toBe(3 * 4 * 4);
      expect(await p.dispose()).toBe(0);
    } finally {
      await setBackend(await createCpuBackend()); // prepare() made the native backend current
      await (runner as unknown as { backend: { dispose?: () => unknown } }).backend.dispose?.();
    }
    const absent = process.arch === 'arm64' ? 'avx2' : 'neon';
    const why = await createStridenetRunner('native', 1, absent);
    expect(why).toMatch(new RegExp(`^native-${absent} cannot start here: .*isa is '${absent}'`));
  });
});

describe('workloads', () => {
  it('the full list holds the shapes the harness promises', () => {
    const ids = opWorkloads({ gemmSize: 4096 }).map((w) => w.id);
    expect(ids).toContain('conv2d/3x3 64->64 8x56x56 pad1/fwd');
    expect(ids).toContain('conv2d/5x5 1->6 256x28x28 pad2/bwd-filter');
    expect(ids).toContain('pool2d/max/3x3 s2 pad1 8x64x56x56');
    for (const pool of ['max', 'avg']) {
      for (const shape of ['3x3 s2 pad1 8x64x56x56', '2x2 s2 8x64x56x56']) expect(ids).toContain(`pool2d/${pool}/${shape}/bwd-input`);
    }
    expect(ids).toContain('dense/1024->1024/b256');
    expect(ids).toContain('matmul/4096x4096x4096');
    expect(opWorkloads({ gemmSize: 0 }).some((w) => w.spec.kind === 'matmul')).toBe(false);
    expect(modelWorkloads().map((w) => w.id)).toEqual(expect.arrayContaining(['model/lenet5/train/b64', 'model/lenet5/infer/b256', 'model/allCnnC/train/b32', 'model/resnet18/infer/b2', 'model/resnet18/infer/b2/compiled']));
    const conv = opWorkloads().find((w) => w.id === 'conv2d/3x3 64->64 8x56x56 pad1/fwd')!;
    expect(conv.flops).toBe(2 * 8 * 64 * 56 * 56 * 64 * 9);
    // Smoke mode reads the conformance case list.
    expect(opWorkloads({ smoke: true }).some((w) => w.id === "conv2d/depthwise 3x3, 'same'/fwd")).toBe(true);
  });

  it('inputs are seeded: the same bytes every time', async () => {
    const w = convWorkload('t', [1, 2, 5, 5], [3, 2, 3, 3], { padding: 1 }, 'forward');
    const a = await makeInputs(w);
    const b = await makeInputs(w);
    expect(a.tensors.x!.data).toEqual(b.tensors.x!.data);
    expect(a.outShape).toEqual([1, 3, 5, 5]);
  });
});

describe('measure', () => {
  it('first run apart, calibrated iterations, ordered statistics', async () => {
    let calls = 0;
    const fake: Prepared = {
      async runIterations(n) {
        calls += n;
        return calls === 1 ? 0.05 : n * 0.001;
      },
      output: async () => new Float32Array(1),
      backendBytes: () => 10,
      rss: async () => 100,
      dispose: async () => 0,
    };
    const t = await measure(fake, { minTime: 0.01, reps: 5 });
    expect(t.firstRunMs).toBeCloseTo(50);
    expect(t.iterations).toBe(11);
    expect(t.reps).toBe(5);
    expect(t.ci95Ms[0]).toBeLessThanOrEqual(t.medianMs);
    expect(t.medianMs).toBeCloseTo(1);
    expect(t.peakBackendBytes).toBe(10);
    expect(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9)).toBeCloseTo(9.1);
  });

  it('a first run over the cell budget is the only sample, flagged', async () => {
    const slow: Prepared = { runIterations: async () => 2, output: async () => new Float32Array(1), backendBytes: () => 0, rss: async () => 0, dispose: async () => 0 };
    const t = await measure(slow, { minTime: 0.5, reps: 5, maxCellSeconds: 1 });
    expect(t).toMatchObject({ reps: 1, capped: true, medianMs: 2000 });
  });

  it('deviation is relative to the largest reference value; NaN counts as infinite', () => {
    expect(deviation(Float32Array.from([2, -4]), Float32Array.from([2, -3]))).toEqual({ maxAbs: 1, relative: 0.25 });
    expect(deviation(Float32Array.from([1]), Float32Array.from([Number.NaN])).maxAbs).toBe(Number.POSITIVE_INFINITY);
  });
});

// Skipped only where onnxruntime-node (an optional peer runner, a prebuilt binary per platform) did not
// install; setup.sh installs it on the CI machine, so these run there.
describe.skipIf(!hasOrt)('ONNX graphs written by the harness', () => {
  it('a conv graph runs in ONNX Runtime and matches cpu-js', async () => {
    const ort = (await import('onnxruntime-node')) as unknown as { InferenceSession: { create(b: Uint8Array): Promise<{ run(f: unknown): Promise<Record<string, { data: Float32Array }>> }> }; Tensor: new (t: string, d: Float32Array, s: number[]) => unknown };
    const x = Float32Array.from({ length: 2 * 3 * 6 * 5 }, (_, i) => Math.sin(i));
    const f = Float32Array.from({ length: 4 * 3 * 3 * 3 }, (_, i) => Math.cos(i) / 5);
    const bytes = encodeModel({
      nodes: [{ op: 'Conv', inputs: ['x', 'f'], outputs: ['y'], attrs: { kernel_shape: [3, 3], strides: [2, 1], pads: [1, 0, 0, 1], dilations: [1, 1], group: 1 } }],
      initializers: [{ name: 'f', shape: [4, 3, 3, 3], data: f }],
      inputs: [{ name: 'x', shape: [2, 3, 6, 5] }],
      outputs: [{ name: 'y', shape: [2, 4, 3, 4] }],
    });
    const session = await ort.InferenceSession.create(bytes);
    const y = (await session.run({ x: new ort.Tensor('float32', x, [2, 3, 6, 5]) })).y!.data;
    const ref = await conv2d(tensor(x, [2, 3, 6, 5]), tensor(f, [4, 3, 3, 3]), { stride: [2, 1], padding: [1, 0, 0, 1] }).data();
    expect(deviation(ref as Float32Array, y).relative).toBeLessThan(1e-5);
  });

  it('the ResNet-20 graph (batch norm, residual adds) matches the stridenet forward pass', async () => {
    const ort = (await import('onnxruntime-node')) as unknown as { InferenceSession: { create(b: Uint8Array): Promise<{ run(f: unknown): Promise<Record<string, { data: Float32Array }>> }> }; Tensor: new (t: string, d: Float32Array, s: number[]) => unknown };
    const model = createModel('resnet20', { seed: 3 });
    const ir = await modelIr(model);
    const x = Float32Array.from({ length: 2 * 3 * 32 * 32 }, (_, i) => Math.sin(i * 0.37));
    const session = await ort.InferenceSession.create(encodeModel(modelGraph(ir, 2, 10)));
    const out = await session.run({ input: new ort.Tensor('float32', x, [2, 3, 32, 32]) });
    const ours = await model.forward(tensor(x, [2, 3, 32, 32])).data();
    expect(deviation(ours as Float32Array, Object.values(out)[0]!.data).relative).toBeLessThan(1e-4);
    model.dispose();
  });
});
