import type { KernelFn } from '@stridenet/core';
import type { WebGpuHandle } from '../runtime.js';
import code from '../shaders/conv2d-backprop-input.wgsl';

/** Implicit GEMM over [inChannels/groups] x [batch*inHeight*inWidth]: a gather, so no atomics. */
export const Conv2DBackpropInput: KernelFn<WebGpuHandle, 'Conv2DBackpropInput'> = ({ dy, filter }, { plan }) => {
  const rt = dy.runtime;
  const dx = rt.acquire(plan.batch * plan.inChannels * plan.inHeight * plan.inWidth);
  rt.dispatch({
    shader: 'conv2d-backprop-input',
    code,
    ints: plan.encoded,
    inputs: [dy.buffer, filter.buffer],
    outputs: [dx.buffer],
    workgroups: [
      Math.ceil((plan.batch * plan.inHeight * plan.inWidth) / 64),
      Math.ceil(plan.inChannels / plan.groups / 64),
      plan.groups,
    ],
  });
  return dx;
};
