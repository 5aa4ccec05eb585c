import type { KernelFn } from '@stridenet/core';
import type { WebGpuHandle } from '../runtime.js';
import code from '../shaders/max-pool2d-argmax.wgsl';

/** One thread per output cell, writing y and the selected tap. */
export const MaxPool2DArgmax: KernelFn<WebGpuHandle, 'MaxPool2DArgmax'> = ({ x }, { plan }) => {
  const rt = x.runtime;
  const size = plan.batch * plan.channels * plan.outHeight * plan.outWidth;
  const y = rt.acquire(size);
  const argmax = rt.acquire(size);
  rt.dispatch({ shader: 'max-pool2d-argmax', code, prelude: 'pool', ints: plan.encoded, inputs: [x.buffer], outputs: [y.buffer, argmax.buffer], workgroups: rt.grid(size) });
  return [y, argmax];
};
