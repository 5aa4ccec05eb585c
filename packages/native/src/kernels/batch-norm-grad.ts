import type { KernelFn } from '@stridenet/core';
import { addon, three } from '../addon.js';
import type { NativeHandle } from '../handle.js';

/** [dx, dgamma, dbeta]; with a fused relu, dy is masked by the forward output y. C++: src/native/kernels/batch-norm-grad.cc. */
export const BatchNormGrad: KernelFn<NativeHandle, 'BatchNormGrad'> = ({ dy, x, gamma, mean, variance, y }, { plan, epsilon, activation }) =>
  three('BatchNormGrad', addon().run('BatchNormGrad', [dy, x, gamma, mean, variance, y ?? null], plan.encoded, [epsilon, activation === 'relu' ? 1 : 0]));
