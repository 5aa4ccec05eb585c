import type { KernelFn } from '@stridenet/core';
import type { WebGpuTensor } from '../runtime.js';
import code from '../shaders/expand.wgsl';

/** One invocation per output element. */
export const Expand: KernelFn<WebGpuTensor, 'Expand'> = ({ x }, { plan }) => {
  const rt = x.runtime;
  const y = rt.acquire(plan.size);
  rt.dispatch({ shader: 'expand', code, ints: plan.encoded, inputs: [x.buffer], outputs: [y.buffer], workgroups: rt.grid(plan.size) });
  return y;
};
