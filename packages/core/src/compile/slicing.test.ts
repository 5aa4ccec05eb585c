import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createCpuBackend } from '@stridenet/cpu-js';
import { memory, setBackend, type Tensor } from '../engine.js';
import { tensor } from '../ops/create.js';
import { Rng } from '../random/philox.js';
import { Layer } from '../layers/layer.js';
import { Dense, Flatten } from '../layers/core.js';
import { sequential } from '../models/model.js';
import { resnet20 } from '../models/zoo/resnet.js';
import { compile } from './compiled-model.js';
import { sliceRule, sliceSize, WHOLE_BATCHES, type SampleBytes } from './slicing.js';

beforeAll(async () => {
  await setBackend(await createCpuBackend());
});

async function relativeError(a: Tensor, b: Tensor): Promise<number> {
  const [x, y] = [await a.data(), await b.data()];
  const scale = Math.max(...Array.from(y, Math.abs));
  return Math.max(...Array.from(x, (v, i) => Math.abs(v - y[i]!))) / scale;
}

describe('sliceSize', () => {
  // A ResNet-20-like plan: 192 KiB a sample at the peak, 204 KiB with the input copy, 40-byte logits.
  const bytes: SampleBytes = { peak: 196_608, slicedPeak: 208_896, output: 40, inputLastStep: 0 };
  const MiB = 1024 * 1024;
  const budget = (b: number) => sliceRule(b, undefined);
  it('keeps a batch whole when its pass fits the budget, or when there is nothing to slice', () => {
    expect(sliceSize(64, budget(64 * 196_608), bytes)).toBe(64);
    expect(sliceSize(64, budget(1), undefined)).toBe(64);
    expect(sliceSize(1, budget(1), bytes)).toBe(1);
    expect(sliceSize(0, budget(1), bytes)).toBe(0);
    expect(sliceSize(64, budget(Infinity), bytes)).toBe(64);
    expect(sliceSize(64, WHOLE_BATCHES, bytes)).toBe(64);
  });
  it('takes the largest slice that fits a budget, then evens the slices out', () => {
    // 4 MiB holds 20 samples with their input copies and the 44 other outputs: 4 slices of 16.
    expect(sliceSize(64, budget(4 * MiB), bytes)).toBe(16);
    // One byte short of the whole batch: 60 fit with their input copies, so two slices of 32.
    expect(sliceSize(64, budget(64 * 196_608 - 1), bytes)).toBe(32);
    // 65 at most 20 a slice: 4 slices of 17 (17, 17, 17, 14).
    expect(sliceSize(65, budget(20 * 208_896 + 45 * 40), bytes)).toBe(17);
    // Less than one sample's pass: one sample a slice.
    expect(sliceSize(64, budget(1000), bytes)).toBe(1);
  });
  it('slices no finer than the outputs allow: the parts and the joined output are alive together', () => {
    const wide: SampleBytes = { peak: 100, slicedPeak: 110, output: 50, inputLastStep: 0 };
    // 8 samples take 800 bytes whole, and so does the join: under that, one sample a slice (the floor).
    expect(sliceSize(8, budget(799), wide)).toBe(1);
    expect(sliceSize(8, budget(800), wide)).toBe(8);
  });
  it("'auto' follows the backend: whole batches without a hint, else only passes above twice its budget, 8 samples a slice at least", () => {
    expect(sliceRule('auto', undefined)).toBe(WHOLE_BATCHES);
    const auto = sliceRule('auto', 4 * MiB);
    expect(auto).toEqual({ maxBytes: 4 * MiB, above: 8 * MiB, minSamples: 8 });
    // ResNet-20 b64 (12 MiB): slices of 16; b32 (6 MiB) stays whole.
    expect(sliceSize(64, auto, bytes)).toBe(16);
    expect(sliceSize(32, auto, bytes)).toBe(32);
    // ResNet-18 224x224 (3.83 MiB a sample): b2 whole; b20 in two slices of 10, not 20 of 1.
    const big: SampleBytes = { peak: 4_014_080, slicedPeak: 4_014_080, output: 4000, inputLastStep: 0 };
    expect(sliceSize(2, auto, big)).toBe(2);
    expect(sliceSize(20, auto, big)).toBe(10);
    expect(sliceSize(15, auto, big)).toBe(15);
  });
});

describe('compile: batch slices', () => {
  it('runs ResNet-20 in batch slices within the budget: peak activations as planned, at most half of eager, same outputs, nothing left behind', async () => {
    const m = resnet20({ seed: 1, inputShape: [3, 16, 16] });
    const rng = new Rng(7);
    for (const layer of m.layers.filter((l) => l.type === 'BatchNorm2D')) {
      for (const name of ['runningMean', 'runningVar', 'weight', 'bias']) {
        const p = layer.param(name);
        p.value = tensor(rng.uniform(p.size).map((u) => (name === 'runningMean' ? u - 0.5 : 0.5 + u)), p.shape);
      }
    }
    const batch = 8;
    const whole = await compile(m, { mode: 'inference', maxActivationBytes: Infinity });
    const bytes = whole.sampleBytes!;
    // 16 channels x 16 x 16 floats, three alive at a residual block's conv2 (input, shortcut, output).
    expect(bytes.peak).toBe(3 * 16 * 16 * 16 * 4);
    expect(bytes.slicedPeak).toBeGreaterThanOrEqual(bytes.peak);
    // A budget for 3 samples (with their input copies and the other outputs): slices of 3, 3, 2.
    const budget = 3 * bytes.slicedPeak + (batch - 3) * bytes.output;
    const sliced = await compile(m, { mode: 'inference', maxActivationBytes: budget });
    expect(sliced.sliceSize(batch)).toBe(3);
    expect(whole.sliceSize(batch)).toBe(batch);
    const x = tensor(rng.normal(batch * 768), [batch, 3, 16, 16]);
    const start = memory().tensors;
    const [pw, ps] = [await whole.profileMemory(x), await sliced.profileMemory(x)];
    expect(memory().tensors).toBe(start);
    expect(pw.sliceSize).toBe(batch);
    expect(ps.sliceSize).toBe(3);
    // The walk over the plan predicts what the backend measured.
    expect(pw.compiledPeakActivationBytes).toBe(batch * bytes.peak);
    // Slice 2 also holds slice 1's three outputs.
    expect(ps.compiledPeakActivationBytes).toBe(3 * bytes.slicedPeak + 3 * bytes.output);
    expect(ps.compiledPeakActivationBytes).toBeLessThanOrEqual(budget);
    expect(ps.compiledPeakActivationBytes).toBeLessThanOrEqual(ps.eagerPeakActivationBytes / 2);
    // The layer-by-layer pass (eager inference fusion would keep folded weights).
    const eager = m.forward(x, { training: false, rng: new Rng(0), fuse: false });
    const y = sliced.run(x);
    expect(memory().tensors).toBe(start + 2);
    expect(y.shape).toEqual([batch, 10]);
    expect(await relativeError(y, eager)).toBeLessThan(1e-5);
    expect(sliced.summary()).toContain(`batch slices within ${budget} bytes (at least 1 sample each) for a pass above ${budget} bytes`);
    [x, y, eager].forEach((t) => t.dispose());
    [whole, sliced].forEach((c) => c.dispose());
    m.dispose();
  });

  it('frees every slice and partial output when a step fails midway', async () => {
    const m = resnet20({ seed: 2, inputShape: [3, 8, 8] });
    const c = await compile(m, { mode: 'inference', maxActivationBytes: 1 });
    const x = tensor(new Rng(3).normal(4 * 192), [4, 3, 8, 8]);
    const start = memory().tensors;
    // Fail in the third slice, after two slice outputs were kept.
    const steps = c.plan.steps.length;
    let calls = 0;
    const original = (c as unknown as { runStep: (...a: unknown[]) => Tensor }).runStep;
    const spy = vi.spyOn(c as unknown as { runStep: (...a: unknown[]) => Tensor }, 'runStep').mockImplementation(function (this: unknown, ...a: unknown[]) {
      if (++calls === 2 * steps + 5) throw new Error('kernel failed');
      return original.apply(this, a);
    });
    expect(() => c.run(x)).toThrow('kernel failed');
    expect(memory().tensors).toBe(start);
    spy.mockRestore();
    const y = c.run(x);
    y.dispose();
    expect(memory().tensors).toBe(start);
    x.dispose();
    c.dispose();
    m.dispose();
  });

  it('keeps the batch whole when a layer with no compiled form might mix samples, and checks the budget', async () => {
    class BatchMean extends Layer {
      readonly type = 'BatchMean';
      protected computeOutputShape([s]: readonly (readonly number[])[]) {
        return s!;
      }
      call([x]: readonly Tensor[]): Tensor {
        const v = x!.dataSync();
        const per = v.length / x!.shape[0]!;
        const mean = new Float32Array(per);
        v.forEach((a, i) => (mean[i % per]! += a / x!.shape[0]!));
        return tensor(v.map((a, i) => a - mean[i % per]!), x!.shape);
      }
      getConfig() {
        return {};
      }
    }
    const m = sequential([4], [new Dense({ units: 6 }), new BatchMean({ name: 'mean' }), new Flatten(), new Dense({ units: 2 })], { seed: 1 });
    const c = await compile(m, { mode: 'inference', maxActivationBytes: 1, log: () => {} });
    expect(c.sampleBytes).toBeUndefined();
    expect(c.sliceSize(16)).toBe(16);
    const x = tensor(new Rng(4).normal(16 * 4), [16, 4]);
    const [y, e] = [c.run(x), m.forward(x, { training: false, rng: new Rng(0) })];
    expect(await relativeError(y, e)).toBeLessThan(1e-5);
    [x, y, e].forEach((t) => t.dispose());
    c.dispose();
    // cpu-js names no slice budget: 'auto' keeps whole batches there.
    const d = await compile(m, { mode: 'inference', log: () => {} });
    expect(d.slicing).toBe(WHOLE_BATCHES);
    d.dispose();
    await expect(compile(m, { mode: 'training', maxActivationBytes: 1 })).rejects.toThrow("compile: maxActivationBytes is 1 but expected unset in mode 'training' (batch slices are for inference runs)");
    for (const bad of [0, -1, NaN, '1' as never, 'none' as never]) {
      await expect(compile(m, { mode: 'inference', maxActivationBytes: bad })).rejects.toThrow(/compile: maxActivationBytes is .* but expected a number of bytes > 0 \(Infinity: never slice the batch\) or 'auto'/);
    }
    m.dispose();
  });
});
