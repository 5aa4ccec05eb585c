import type { KernelFn } from '@stridenet/core';
import type { WebGpuHandle } from '../runtime.js';
import code from '../shaders/max-pool2d-grad-argmax.wgsl';

/** One thread per input cell gathering dy from the windows whose argmax tap names it (no atomics). */
export const MaxPool2DGradArgmax: KernelFn<WebGpuHandle, 'MaxPool2DGradArgmax'> = ({ dy, argmax }, { plan }) => {
  const rt = dy.runtime;
  const size = plan.batch * plan.channels * plan.inHeight * plan.inWidth;
  const dx = rt.acquire(size);
  rt.dispatch({
    shader: 'max-pool2d-grad-argmax',
    code,
    prelude: 'pool',
    ints: plan.encoded,
    inputs: [dy.buffer, argmax.buffer],
    outputs: [dx.buffer],
    workgroups: rt.grid(size),
  });
  return dx;
};
