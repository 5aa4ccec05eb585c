import { beforeAll, describe, expect, it } from 'vitest';
import { createCpuBackend } from '@stridenet/cpu-js';
import { memory, setBackend } from '../engine.js';
import { tensor } from '../ops/create.js';
import { Rng } from '../random/philox.js';
import { evaluate, fit, predict, type EpochLogs } from './fit.js';
import { Adam, Sgd } from './optimizers.js';
import { cosineLr, warmupLr } from './schedules.js';
import { syntheticData, TinyModel, weightsOf } from './tiny-model.testutil.js';

beforeAll(async () => {
  await setBackend(await createCpuBackend());
});

const strip = (h: EpochLogs[]) => h.map(({ seconds: _s, ...rest }) => rest);

describe('fit', () => {
  it('learns a separable problem and evaluates/predicts in inference mode', async () => {
    const data = syntheticData(60);
    const model = new TinyModel(3, 3, 0.2);
    const before = await evaluate(model, data);
    const result = await fit(model, data, { epochs: 6, batchSize: 10, optimizer: new Adam({ lr: 0.03 }), seed: 5, validationSplit: 0.2 });
    expect(result.stopReason).toBe('completed');
    expect(result.history).toHaveLength(6);
    expect(result.plan).toMatchObject({ trainCount: 48, valCount: 12, batchesPerEpoch: 5, totalSteps: 30 });
    const last = result.history[5]!;
    expect(last.loss).toBeLessThan(result.history[0]!.loss);
    expect(last.valAccuracy).toBeGreaterThanOrEqual(0.9);
    const after = await evaluate(model, data);
    expect(after.loss).toBeLessThan(before.loss);
    expect(after.accuracy).toBeGreaterThan(0.9);
    expect(after.confusion.total).toBe(60);
    const p = await predict(model, data.images.subarray(0, 5 * 36), { topK: 2 });
    expect(p.count).toBe(5);
    expect(p.probabilities).toHaveLength(15);
    for (let i = 0; i < 5; i++) expect(p.probabilities.subarray(i * 3, i * 3 + 3).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(p.topK!.indices[0]).toBe(p.classes[0]);
    // Inference is deterministic (dropout off); two predictions agree exactly.
    const again = await predict(model, { images: data.images.subarray(0, 5 * 36) });
    expect(Array.from(again.probabilities)).toEqual(Array.from(p.probabilities));
    result.optimizer.dispose();
    model.dispose();
  });

  it('is bit-for-bit deterministic for a seed (with dropout, shuffling, augmentation, schedule)', async () => {
    const data = syntheticData(30);
    const runOnce = async (seed: number) => {
      const model = new TinyModel(11, 3, 0.3);
      const r = await fit(model, data, {
        epochs: 3,
        batchSize: 8,
        seed,
        optimizer: new Sgd({ lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-4 }),
        scheduleFromPlan: (plan) => warmupLr({ warmupSteps: 3 }, cosineLr({ lr: 0.05, totalSteps: plan.totalSteps - 3 })),
        labelSmoothing: 0.1,
        augment: (batch, { rng }) => {
          const noise = rng.normal(batch.images.length, 0, 0.05);
          for (let i = 0; i < noise.length; i++) batch.images[i] += noise[i]!;
        },
      });
      const w = await weightsOf(model);
      r.optimizer.dispose();
      model.dispose();
      return { w, history: strip(r.history) };
    };
    const a = await runOnce(42);
    const b = await runOnce(42);
    const c = await runOnce(43);
    a.w.forEach((t, i) => expect(Array.from(b.w[i]!)).toEqual(Array.from(t)));
    expect(b.history).toEqual(a.history);
    expect(Array.from(c.w[0]!)).not.toEqual(Array.from(a.w[0]!));
  });

  it('leaks no tensor per step and frees everything but its state', async () => {
    const data = syntheticData(40);
    const model = new TinyModel(1, 3, 0.5);
    const base = memory().tensors;
    const counts: number[] = [];
    const r = await fit(model, data, {
      epochs: 2,
      batchSize: 8,
      validationSplit: 0.25,
      optimizer: new Adam({ lr: 0.01 }),
      callbacks: { onBatchEnd: () => void counts.push(memory().tensors) },
    });
    expect(counts).toHaveLength(8);
    // Adam's m and v for the 4 trainable parameters are the only new tensors.
    expect(new Set(counts)).toEqual(new Set([base + 8]));
    expect(memory().tensors).toBe(base + 8);
    r.optimizer.dispose();
    expect(memory().tensors).toBe(base);
    model.dispose();
  });

  it('callbacks see progress and can stop; abort signal stops after the batch', async () => {
    const data = syntheticData(20);
    const model = new TinyModel();
    const seen: string[] = [];
    const r = await fit(model, data, {
      epochs: 5,
      batchSize: 5,
      callbacks: {
        onTrainBegin: ({ plan }) => void seen.push(`begin ${plan.totalSteps}`),
        onBatchEnd: (i) => {
          seen.push(`b${i.epoch}.${i.batch} s${i.step}`);
          expect(i.state.step).toBe(i.step);
          expect(i.lr).toBe(1e-3);
        },
        onEpochEnd: (e) => (seen.push(`e${e.epoch}`), e.epoch === 1 ? 'stop' : undefined),
      },
    });
    expect(r.stopReason).toBe('callback');
    expect(seen).toEqual(['begin 20', 'b0.0 s1', 'b0.1 s2', 'b0.2 s3', 'b0.3 s4', 'e0', 'b1.0 s5', 'b1.1 s6', 'b1.2 s7', 'b1.3 s8', 'e1']);
    expect(r.state).toMatchObject({ epoch: 2, batch: 0, step: 8 });
    r.optimizer.dispose();

    const ctl = new AbortController();
    const r2 = await fit(model, data, { epochs: 5, batchSize: 5, signal: ctl.signal, callbacks: { onBatchEnd: (i) => void (i.step === 3 && ctl.abort()) } });
    expect(r2.stopReason).toBe('aborted');
    expect(r2.state).toMatchObject({ epoch: 0, batch: 3, step: 3 });
    r2.optimizer.dispose();
    model.dispose();
  });

  it('early stopping on a monitored metric restores the best weights', async () => {
    const data = syntheticData(20);
    const model = new TinyModel();
    // A huge learning rate makes the loss blow up after the first epoch.
    const r = await fit(model, data, {
      epochs: 20,
      batchSize: 20,
      optimizer: new Sgd({ lr: 50 }),
      stopOnNonFinite: false,
      earlyStopping: { monitor: 'loss', patience: 1, restoreBestWeights: true },
    });
    expect(r.stopReason).toBe('early-stopping');
    expect(r.history.length).toBeLessThan(20);
    const best = r.state.earlyStopping!;
    expect(best.best).toBe(Math.min(...r.history.map((h) => h.loss)));
    expect(r.history.length).toBe(best.bestEpoch + 3);
    r.optimizer.dispose();
    model.dispose();
  });

  it('switches dropout by training mode', async () => {
    const model = new TinyModel(2, 3, 0.5);
    const x = tensor(syntheticData(4).images, [4, 1, 6, 6]);
    const rng = new Rng(9);
    const run = async (training: boolean) => {
      const y = model.forward(x, { training, rng });
      const d = await y.data();
      y.dispose();
      return Array.from(d);
    };
    expect(await run(false)).toEqual(await run(false));
    expect(await run(true)).not.toEqual(await run(true));
    x.dispose();
    model.dispose();
  });

  it('rejects bad data and options with clear errors', async () => {
    const model = new TinyModel();
    const data = syntheticData(10);
    await expect(fit(model, { ...data, count: 11 }, { epochs: 1 })).rejects.toThrow(/data.images length is 360 but expected count \* C\*H\*W = 11 \* 36/);
    await expect(fit(model, { ...data, shape: [1, 5, 5], images: new Float32Array(250) }, { epochs: 1 })).rejects.toThrow(/data.shape is \[1,5,5\] but expected \[1,6,6\]/);
    await expect(fit(model, { ...data, numClasses: 4 }, { epochs: 1 })).rejects.toThrow(/numClasses is 4 but expected 3/);
    await expect(fit(model, data, { epochs: 0 })).rejects.toThrow(/fit: epochs is 0/);
    await expect(fit(model, data, { epochs: 1, validationSplit: 1 })).rejects.toThrow(/validationSplit is 1/);
    const labels = Int32Array.from(data.labels);
    labels[3] = 7;
    await expect(fit(model, { ...data, labels }, { epochs: 1 })).rejects.toThrow(/data.labels\[3\] is 7 but expected a class in \[0, 2\]/);
    model.dispose();
  });
});
