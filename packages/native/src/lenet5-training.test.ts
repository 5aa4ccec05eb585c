// The training-level check: LeNet-5 trained for a few SGD steps from one seed gives the
// same loss curve here as on cpu-js (data, weights and dropout come from the core RNG).
import { describe, it } from 'vitest';
import { lenet5 } from '@stridenet/core';
import { createCpuBackend } from '@stridenet/cpu-js';
import { classifierRun, expectTrainingAgreement, trainingCheck } from '@stridenet/conformance';
import { createNativeBackend } from './index.js';

describe('LeNet-5 training on native', () => {
  it('matches cpu-js loss for loss over 10 steps from one seed', async () => {
    const run = classifierRun((seed) => lenet5({ seed }), { batch: 16 });
    // Both places kernels run: the queue thread, and the calling thread (where 'auto' runs them on one CPU).
    const report = await trainingCheck(
      { 'cpu-js': () => createCpuBackend(), native: () => createNativeBackend({ dispatch: 'queue' }), 'native caller': () => createNativeBackend({ dispatch: 'caller' }) },
      run,
      { steps: 10, seed: 7, rtol: 1e-4 },
    );
    expectTrainingAgreement(report);
  }, 300_000);
});
