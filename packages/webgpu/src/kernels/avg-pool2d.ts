import type { KernelFn } from '@stridenet/core';
import type { WebGpuHandle } from '../runtime.js';
import code from '../shaders/avg-pool2d.wgsl';

/** One thread per output cell. */
export const AvgPool2D: KernelFn<WebGpuHandle, 'AvgPool2D'> = ({ x }, { plan }) => {
  const rt = x.runtime;
  const size = plan.batch * plan.channels * plan.outHeight * plan.outWidth;
  const y = rt.acquire(size);
  rt.dispatch({ shader: 'avg-pool2d', code, prelude: 'pool', ints: plan.encoded, inputs: [x.buffer], outputs: [y.buffer], workgroups: rt.grid(size) });
  return y;
};
