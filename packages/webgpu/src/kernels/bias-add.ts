import type { KernelFn } from '@stridenet/core';
import type { WebGpuHandle } from '../runtime.js';
import code from '../shaders/bias-add.wgsl';

export const BiasAdd: KernelFn<WebGpuHandle, 'BiasAdd'> = ({ x, bias }, { plan }) => {
  const rt = x.runtime;
  const size = plan.outer * plan.channels * plan.inner;
  const y = rt.acquire(size);
  rt.dispatch({ shader: 'bias-add', code, ints: plan.encoded, inputs: [x.buffer, bias.buffer], outputs: [y.buffer], workgroups: rt.grid(size) });
  return y;
};
