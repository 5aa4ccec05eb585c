import type { KernelFn } from '@stridenet/core';
import type { WebGpuHandle } from '../runtime.js';
import code from '../shaders/max-pool2d-grad.wgsl';

/** One thread per input cell gathering from the windows whose argmax it is (no atomics). */
export const MaxPool2DGrad: KernelFn<WebGpuHandle, 'MaxPool2DGrad'> = ({ dy, x }, { plan }) => {
  const rt = dy.runtime;
  const size = plan.batch * plan.channels * plan.inHeight * plan.inWidth;
  const dx = rt.acquire(size);
  rt.dispatch({ shader: 'max-pool2d-grad', code, prelude: 'pool', ints: plan.encoded, inputs: [dy.buffer, x.buffer], outputs: [dx.buffer], workgroups: rt.grid(size) });
  return dx;
};
