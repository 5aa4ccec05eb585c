import type { KernelFn } from '@stridenet/core';
import { f32, type WasmHandle } from '../runtime.js';

/** One channel per work unit. */
export const batchNormTrain: KernelFn<WasmHandle, 'BatchNormTrain'> = ({ x, gamma, beta }, { plan, epsilon }) => {
  const rt = x.runtime;
  const size = plan.outer * plan.channels * plan.inner;
  const y = rt.alloc(size);
  const mean = rt.alloc(plan.channels);
  const variance = rt.alloc(plan.channels);
  const frame = rt.frame([x.ptr, gamma.ptr, beta.ptr, y.ptr, mean.ptr, variance.ptr, f32(epsilon)], plan.encoded);
  try {
    rt.run('batchNormTrain', frame, plan.channels, { work: size * 3 });
  } finally {
    rt.release(frame);
  }
  return [y, mean, variance];
};
