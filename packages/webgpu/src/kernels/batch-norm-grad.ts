import type { KernelFn } from '@stridenet/core';
import type { WebGpuHandle } from '../runtime.js';
import code from '../shaders/batch-norm-grad.wgsl';

/** One workgroup per channel: both channel sums, then dx, in one dispatch. */
export const BatchNormGrad: KernelFn<WebGpuHandle, 'BatchNormGrad'> = ({ dy, x, gamma, mean, variance }, { plan, epsilon }) => {
  const rt = x.runtime;
  const dx = rt.acquire(plan.outer * plan.channels * plan.inner);
  const dgamma = rt.acquire(plan.channels);
  const dbeta = rt.acquire(plan.channels);
  rt.dispatch({
    shader: 'batch-norm-grad',
    code,
    ints: plan.encoded,
    floats: [epsilon],
    inputs: [dy.buffer, x.buffer, gamma.buffer, mean.buffer, variance.buffer],
    outputs: [dx.buffer, dgamma.buffer, dbeta.buffer],
    workgroups: rt.itemGrid(plan.channels),
  });
  return [dx, dgamma, dbeta];
};
