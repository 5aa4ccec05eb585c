import type { KernelFn } from '@stridenet/core';
import { f32, type WasmHandle } from '../runtime.js';

/** One channel per work unit. */
export const batchNormGrad: KernelFn<WasmHandle, 'BatchNormGrad'> = ({ dy, x, gamma, mean, variance }, { plan, epsilon }) => {
  const rt = x.runtime;
  const size = plan.outer * plan.channels * plan.inner;
  const dx = rt.alloc(size);
  const dgamma = rt.alloc(plan.channels);
  const dbeta = rt.alloc(plan.channels);
  const frame = rt.frame([dy.ptr, x.ptr, gamma.ptr, mean.ptr, variance.ptr, dx.ptr, dgamma.ptr, dbeta.ptr, f32(epsilon)], plan.encoded);
  try {
    rt.run('batchNormGrad', frame, plan.channels, { work: size * 4 });
  } finally {
    rt.release(frame);
  }
  return [dx, dgamma, dbeta];
};
