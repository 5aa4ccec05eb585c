import type { KernelFn } from '@stridenet/core';
import { addon, three } from '../addon.js';
import type { NativeHandle } from '../handle.js';

/** [dx, dgamma, dbeta]. C++: src/native/kernels/batch-norm-grad.cc. */
export const BatchNormGrad: KernelFn<NativeHandle, 'BatchNormGrad'> = ({ dy, x, gamma, mean, variance }, { plan, epsilon }) =>
  three('BatchNormGrad', addon().run('BatchNormGrad', [dy, x, gamma, mean, variance], plan.encoded, [epsilon]));
