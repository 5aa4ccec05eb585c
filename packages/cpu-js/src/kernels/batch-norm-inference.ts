import type { KernelFn } from '@stridenet/core';
import { alloc } from '../buffers.js';
import { normalize } from './batch-norm-train.js';

export const BatchNormInference: KernelFn<Float32Array, 'BatchNormInference'> = ({ x, gamma, beta, mean, variance }, { plan, epsilon }) => {
  const y = alloc(plan.outer * plan.channels * plan.inner);
  normalize(plan, x, gamma, beta, mean, variance, epsilon, y);
  return y;
};
