import type { KernelFn } from '@stridenet/core';
import type { WebGpuHandle } from '../runtime.js';
import code from '../shaders/avg-pool2d-grad.wgsl';

/** One thread per input cell gathering dy / divisor from every window that covers it. */
export const AvgPool2DGrad: KernelFn<WebGpuHandle, 'AvgPool2DGrad'> = ({ dy }, { plan }) => {
  const rt = dy.runtime;
  const size = plan.batch * plan.channels * plan.inHeight * plan.inWidth;
  const dx = rt.acquire(size);
  rt.dispatch({ shader: 'avg-pool2d-grad', code, prelude: 'pool', ints: plan.encoded, inputs: [dy.buffer], outputs: [dx.buffer], workgroups: rt.grid(size) });
  return dx;
};
