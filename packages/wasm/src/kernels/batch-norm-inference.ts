import type { KernelFn } from '@stridenet/core';
import { f32, type WasmHandle } from '../runtime.js';

/** One channel per work unit. */
export const batchNormInference: KernelFn<WasmHandle, 'BatchNormInference'> = ({ x, gamma, beta, mean, variance }, { plan, epsilon }) => {
  const rt = x.runtime;
  const size = plan.outer * plan.channels * plan.inner;
  const y = rt.alloc(size);
  const frame = rt.frame([x.ptr, gamma.ptr, beta.ptr, mean.ptr, variance.ptr, y.ptr, f32(epsilon)], plan.encoded);
  try {
    rt.run('batchNormInference', frame, plan.channels, { work: size });
  } finally {
    rt.release(frame);
  }
  return y;
};
