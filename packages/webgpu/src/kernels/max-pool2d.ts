import type { KernelFn } from '@stridenet/core';
import type { WebGpuHandle } from '../runtime.js';
import code from '../shaders/max-pool2d.wgsl';

/** One thread per output cell. */
export const MaxPool2D: KernelFn<WebGpuHandle, 'MaxPool2D'> = ({ x }, { plan }) => {
  const rt = x.runtime;
  const size = plan.batch * plan.channels * plan.outHeight * plan.outWidth;
  const y = rt.acquire(size);
  rt.dispatch({ shader: 'max-pool2d', code, prelude: 'pool', ints: plan.encoded, inputs: [x.buffer], outputs: [y.buffer], workgroups: rt.grid(size) });
  return y;
};
