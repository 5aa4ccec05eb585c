import type { KernelFn } from '@stridenet/core';
import { addon, three } from '../addon.js';
import type { NativeHandle } from '../handle.js';

/** Batch statistics and normalisation: [y, mean, variance]. C++: src/native/kernels/batch-norm-train.cc. */
export const BatchNormTrain: KernelFn<NativeHandle, 'BatchNormTrain'> = ({ x, gamma, beta }, { plan, epsilon }) =>
  three('BatchNormTrain', addon().run('BatchNormTrain', [x, gamma, beta], plan.encoded, [epsilon]));
