import type { KernelFn } from '@stridenet/core';
import { addon, one } from '../addon.js';
import type { NativeHandle } from '../handle.js';

/** Normalisation with running statistics. C++: src/native/kernels/batch-norm-inference.cc. */
export const BatchNormInference: KernelFn<NativeHandle, 'BatchNormInference'> = ({ x, gamma, beta, mean, variance }, { plan, epsilon }) =>
  one('BatchNormInference', addon().run('BatchNormInference', [x, gamma, beta, mean, variance], plan.encoded, [epsilon]));
