import type { KernelFn } from '@stridenet/core';
import type { WebGpuHandle } from '../runtime.js';
import code from '../shaders/batch-norm-train.wgsl';

/** One workgroup per channel: statistics and normalisation in one dispatch. */
export const BatchNormTrain: KernelFn<WebGpuHandle, 'BatchNormTrain'> = ({ x, gamma, beta }, { plan, epsilon }) => {
  const rt = x.runtime;
  const y = rt.acquire(plan.outer * plan.channels * plan.inner);
  const mean = rt.acquire(plan.channels);
  const variance = rt.acquire(plan.channels);
  rt.dispatch({
    shader: 'batch-norm-train',
    code,
    ints: plan.encoded,
    floats: [epsilon],
    inputs: [x.buffer, gamma.buffer, beta.buffer],
    outputs: [y.buffer, mean.buffer, variance.buffer],
    workgroups: rt.itemGrid(plan.channels),
  });
  return [y, mean, variance];
};
