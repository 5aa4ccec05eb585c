import type { KernelFn } from '@stridenet/core';
import type { WebGpuHandle } from '../runtime.js';
import code from '../shaders/batch-norm-inference.wgsl';

export const BatchNormInference: KernelFn<WebGpuHandle, 'BatchNormInference'> = ({ x, gamma, beta, mean, variance }, { plan, epsilon }) => {
  const rt = x.runtime;
  const size = plan.outer * plan.channels * plan.inner;
  const y = rt.acquire(size);
  rt.dispatch({
    shader: 'batch-norm-inference',
    code,
    ints: plan.encoded,
    floats: [epsilon],
    inputs: [x.buffer, gamma.buffer, beta.buffer, mean.buffer, variance.buffer],
    outputs: [y.buffer],
    workgroups: rt.grid(size),
  });
  return y;
};
