// Divergence: every check runs before the update, so a diverged run keeps its last good weights.
import { beforeAll, describe, expect, it } from 'vitest';
import { createCpuBackend } from '@stridenet/cpu-js';
import { keep, memory, setBackend, type Tensor } from '../engine.js';
import { tensor } from '../ops/create.js';
import { flatten } from '../ops/layout.js';
import { matMul } from '../ops/matmul.js';
import { mul } from '../ops/elementwise.js';
import type { LayerConfig, Model, Parameter } from '../models/types.js';
import { Rng } from '../random/philox.js';
import { checkTrainState } from './state.js';
import { DivergenceGuard } from './divergence.js';
import { allFinite, gradientsFinite, nonFiniteTensors } from './finite.js';
import { fit } from './fit.js';
import { trainStep } from './step.js';
import { Adam, Sgd } from './optimizers.js';
import { syntheticData, TinyModel, weightsOf } from './tiny-model.testutil.js';

beforeAll(async () => {
  await setBackend(await createCpuBackend());
});

const allFiniteArrays = (ws: Float32Array[]) => ws.every((w) => w.every((v) => Number.isFinite(v)));

/**
 * logits = ((x W) * b) * a with a = 3e38 and b = 1/a: the forward pass is ordinary, but the
 * gradient of b (dy * a, summed over the batch) overflows float32 to infinity.
 */
class OverflowingGradModel implements Model {
  readonly name = 'overflow';
  readonly inputShape = [1, 6, 6] as const;
  readonly outputShape = [3] as const;
  private readonly params: Parameter[];
  constructor() {
    const p = (name: string, shape: number[], v: Float32Array): Parameter => ({ name, trainable: true, value: keep(tensor(v, shape)) });
    this.params = [p('w', [36, 3], new Rng(3).normal(108, 0, 1)), p('a', [1], new Float32Array([3e38])), p('b', [1], new Float32Array([1 / 3e38]))];
  }
  forward(x: Tensor): Tensor {
    const [w, a, b] = this.params.map((q) => q.value) as [Tensor, Tensor, Tensor];
    return mul(mul(matMul(flatten(x), w), b), a);
  }
  parameters(): Parameter[] {
    return this.params;
  }
  toJSON(): LayerConfig {
    return { type: 'Overflow' };
  }
  summary(): string {
    return 'overflow';
  }
  dispose(): void {
    for (const q of this.params) q.value.dispose();
  }
}

describe('divergence guards in fit', () => {
  it('stops on NaN input before any weight changes, and frees everything', async () => {
    const data = syntheticData(40);
    data.images[25 * 36 + 7] = NaN; // example 25 is in the third batch of 10 (no shuffle)
    const model = new TinyModel(2);
    const base = memory().tensors;
    const seen: Float32Array[][] = [];
    const r = await fit(model, data, {
      epochs: 2,
      batchSize: 10,
      shuffle: false,
      optimizer: new Sgd({ lr: 0.1 }),
      callbacks: { onBatchEnd: async () => void seen.push(await weightsOf(model)) },
    });
    expect(r.stopReason).toBe('diverged');
    expect(r.divergence).toMatchObject({ kind: 'non-finite-loss', epoch: 0, step: 2 });
    expect(r.divergence!.message).toMatch(/training diverged in epoch 1 after 2 steps: the batch loss is NaN/);
    expect(r.state).toMatchObject({ epoch: 0, batch: 2, step: 2 });
    expect(seen).toHaveLength(2);
    const after = await weightsOf(model);
    expect(allFiniteArrays(after)).toBe(true);
    after.forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(seen[1]![i]!)));
    expect(r.optimizer.iterations).toBe(2);
    r.optimizer.dispose();
    expect(memory().tensors).toBe(base);
    model.dispose();
  });

  it('refuses a non-finite gradient even when the loss is finite', async () => {
    const model = new OverflowingGradModel();
    const data = syntheticData(8);
    for (let i = 0; i < data.images.length; i++) data.images[i] *= 100;
    const x = tensor(data.images, [8, 1, 6, 6]);
    const before = await weightsOf(model);
    const opt = new Sgd({ lr: 0.01 });
    const r = await trainStep(model, opt, x, Int32Array.from(data.labels), { rng: new Rng(1) });
    expect(Number.isFinite(r.loss)).toBe(true);
    expect(r.rejected).toEqual({ kind: 'non-finite-gradient', value: NaN });
    const after = await weightsOf(model);
    after.forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(before[i]!)));
    expect(opt.iterations).toBe(0);
    // Unchecked, the same step writes infinities into the weights.
    await trainStep(model, opt, x, Int32Array.from(data.labels), { rng: new Rng(1), guard: false });
    expect(await allFinite(model.parameters().map((p) => p.value))).toBe(false);
    expect(await nonFiniteTensors(model.parameters())).toEqual([{ name: 'b', count: 1 }]);
    x.dispose();
    opt.dispose();
    model.dispose();
  });

  it('treats a finite explosion (Adam at lr 1e6) as divergence and keeps the last good weights', async () => {
    const data = syntheticData(40);
    const model = new TinyModel(4);
    let last: Float32Array[] = await weightsOf(model);
    const r = await fit(model, data, {
      epochs: 5,
      batchSize: 10,
      optimizer: new Adam({ lr: 1e6 }),
      callbacks: { onBatchEnd: async () => void (last = await weightsOf(model)) },
    });
    expect(r.stopReason).toBe('diverged');
    expect(['loss-above-bound', 'loss-explosion']).toContain(r.divergence!.kind);
    expect(r.divergence!.value).toBeGreaterThan(r.divergence!.limit!);
    const after = await weightsOf(model);
    after.forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(last[i]!)));
    expect(allFiniteArrays(after)).toBe(true);
    r.optimizer.dispose();
    model.dispose();
  });

  it('checks the validation loss before onEpochEnd sees the epoch', async () => {
    const data = syntheticData(40);
    const validationData = syntheticData(10, 3, 8);
    validationData.images[3] = Infinity;
    const model = new TinyModel(5);
    let epochEnds = 0;
    const r = await fit(model, data, { epochs: 2, batchSize: 10, validationData, callbacks: { onEpochEnd: () => void (epochEnds += 1) } });
    expect(r.stopReason).toBe('diverged');
    expect(r.divergence).toMatchObject({ kind: 'non-finite-val-loss', epoch: 0, step: 4 });
    expect(epochEnds).toBe(0);
    expect(r.history).toHaveLength(0);
    r.optimizer.dispose();
    model.dispose();
  });

  it('with stopOnNonFinite false skips non-finite batches and goes on', async () => {
    const data = syntheticData(30);
    data.images[12 * 36] = NaN; // second batch of 10
    const model = new TinyModel(6);
    const r = await fit(model, data, { epochs: 2, batchSize: 10, shuffle: false, stopOnNonFinite: false, optimizer: new Sgd({ lr: 0.05 }) });
    expect(r.stopReason).toBe('completed');
    expect(r.state.step).toBe(6);
    expect(r.optimizer.iterations).toBe(4);
    expect(allFiniteArrays(await weightsOf(model))).toBe(true);
    r.optimizer.dispose();
    model.dispose();
  });

  it('saves the running statistics in the train state and validates them', async () => {
    const data = syntheticData(20);
    const model = new TinyModel(7);
    const r = await fit(model, data, { epochs: 1, batchSize: 5 });
    expect(r.state.divergence).toMatchObject({ steps: 4 });
    expect(r.state.divergence!.min).toBeGreaterThan(0);
    expect(() => checkTrainState({ ...r.state, divergence: { smoothed: 'x', steps: 1, min: null } }, 'ckpt.safetensors')).toThrow(
      /ckpt.safetensors: train state field 'divergence' is .* but expected \{ smoothed, steps, min \}/,
    );
    r.optimizer.dispose();
    model.dispose();
  });
});

describe('DivergenceGuard', () => {
  it('applies the bound and the ratio to a smoothed loss, and only non-finite values when off', () => {
    const g = new DivergenceGuard({ maxLoss: 1e4 });
    expect(g.checkBatchLoss(NaN)).toEqual({ kind: 'non-finite-loss', value: NaN });
    expect(g.checkBatchLoss(2e4)).toEqual({ kind: 'loss-above-bound', value: 2e4, limit: 1e4 });
    for (let i = 0; i < 20; i++) {
      expect(g.checkBatchLoss(2)).toBeNull();
      g.commit(2);
    }
    // One noisy batch at 50x (or 800x) moves the smoothed loss a little; 1000x takes it past 100x its minimum.
    expect(g.checkBatchLoss(100)).toBeNull();
    expect(g.checkBatchLoss(1600)).toBeNull();
    const boom = g.checkBatchLoss(2000)!;
    expect(boom.kind).toBe('loss-explosion');
    expect(boom.limit).toBeCloseTo(200, 6);
    expect(g.checkValLoss(Infinity)).toEqual({ kind: 'non-finite-val-loss', value: Infinity });
    const resumed = new DivergenceGuard({ maxLoss: 1e4 }, g.state);
    expect(resumed.checkBatchLoss(2000)).toEqual(g.checkBatchLoss(2000));
    const off = new DivergenceGuard(false);
    expect(off.checkBatchLoss(1e30)).toBeNull();
    expect(off.checkBatchLoss(-Infinity)).toMatchObject({ kind: 'non-finite-loss' });
    expect(() => new DivergenceGuard({ maxLossRatio: 1 })).toThrow(/fit: divergence.maxLossRatio is 1 but expected a number above 1/);
  });
});

describe('gradientsFinite', () => {
  it('finds one NaN or Inf among many gradients and frees its probe', async () => {
    const before = memory().tensors;
    const ok = [tensor(new Float32Array([1, -2, 3]), [3]), tensor(new Float32Array([0.5, 4]), [1, 2])];
    expect(await gradientsFinite(ok)).toBe(true);
    for (const bad of [NaN, Infinity, -Infinity]) {
      const g = tensor(new Float32Array([1, bad, 2, 3]), [2, 2]);
      expect(await gradientsFinite([...ok, g])).toBe(false);
      expect(await gradientsFinite([g])).toBe(false);
      g.dispose();
    }
    // Exact per value: finite values whose sum would leave float32's range are still finite.
    const huge = tensor(new Float32Array([3e38, 3e38]), [2]);
    expect(await gradientsFinite([huge])).toBe(true);
    expect(await allFinite([huge])).toBe(true);
    huge.dispose();
    // Empty tensors have nothing to check; they never reach the kernel.
    const empty = tensor(new Float32Array(0), [0, 3]);
    expect(await gradientsFinite([empty])).toBe(true);
    const nan = tensor(new Float32Array([NaN]), [1]);
    expect(await gradientsFinite([empty, nan])).toBe(false);
    empty.dispose();
    nan.dispose();
    expect(await gradientsFinite([])).toBe(true);
    for (const t of ok) t.dispose();
    expect(memory().tensors).toBe(before);
  });
});
