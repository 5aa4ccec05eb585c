import { batchNormRunningFactors, type KernelFn } from '@stridenet/core';
import { addon, three } from '../addon.js';
import type { NativeHandle } from '../handle.js';

/** Batch statistics, the running-statistics update in place, and y = act(normalised + residual): [y, mean, variance]. C++: src/native/kernels/batch-norm-train.cc. */
export const BatchNormTrain: KernelFn<NativeHandle, 'BatchNormTrain'> = ({ x, gamma, beta, residual, runningMean, runningVar }, { plan, epsilon, activation, momentum }) => {
  const f = batchNormRunningFactors(plan, momentum);
  const inputs = [x, gamma, beta, residual ?? null, runningMean ?? null, runningVar ?? null];
  return three('BatchNormTrain', addon().run('BatchNormTrain', inputs, plan.encoded, [epsilon, activation === 'relu' ? 1 : 0, f.keep, f.mean, f.variance]));
};
