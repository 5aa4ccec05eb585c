import type { KernelFn } from '@stridenet/core';
import type { WebGpuHandle } from '../runtime.js';
import code from '../shaders/expand.wgsl';

/** One invocation per output element. */
export const Expand: KernelFn<WebGpuHandle, 'Expand'> = ({ x }, { plan }) => {
  const rt = x.runtime;
  const y = rt.acquire(plan.size);
  rt.dispatch({ shader: 'expand', code, prelude: 'gather', ints: plan.encoded, inputs: [x.buffer], outputs: [y.buffer], workgroups: rt.grid(plan.size) });
  return y;
};
