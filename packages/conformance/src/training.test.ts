import { describe, expect, it } from 'vitest';
import { lenet5, type Backend } from '@stridenet/core';
import { classifierRun, expectTrainingAgreement, trainingCheck } from './training.js';
import { createReferenceBackend } from './reference/backend.js';

const run = classifierRun((seed) => lenet5({ seed }), { batch: 4 });

describe('trainingCheck', () => {
  it('LeNet-5, 4 steps from one seed: float64 and float32-rounded reference agree', async () => {
    const r = await trainingCheck(
      { f64: () => createReferenceBackend(), f32: () => createReferenceBackend({ float32: true }) },
      run,
      { steps: 4, seed: 3, rtol: 1e-4 },
    );
    expectTrainingAgreement(r);
    expect(r.curves.f64!.length).toBe(4);
    expect(r.curves.f64![3]!).toBeLessThan(r.curves.f64![0]!);
  }, 60_000);

  it('flags a backend whose dense layer drops the bias', async () => {
    const broken = (): Backend => {
      const b = createReferenceBackend({ name: 'no-bias' });
      const kernels = {
        ...b.kernels,
        MatMul: (inputs: Parameters<typeof b.kernels.MatMul>[0], attrs: Parameters<typeof b.kernels.MatMul>[1]) =>
          b.kernels.MatMul({ a: inputs.a, b: inputs.b }, attrs),
      };
      return { ...b, kernels } as unknown as Backend;
    };
    const r = await trainingCheck({ f64: () => createReferenceBackend(), broken }, run, { steps: 2, seed: 3 });
    expect(r.ok).toBe(false);
    expect(() => expectTrainingAgreement(r)).toThrow(/worst relative loss deviation/);
  }, 60_000);
});
