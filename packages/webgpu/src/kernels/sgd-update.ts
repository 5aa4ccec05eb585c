import type { KernelFn } from '@stridenet/core';
import type { WebGpuHandle } from '../runtime.js';
import code from '../shaders/sgd-update.wgsl';

/** Fused, in place on param and velocity: training never leaves the GPU. */
export const SgdUpdate: KernelFn<WebGpuHandle, 'SgdUpdate'> = ({ param, grad, velocity }, attrs) => {
  const rt = param.runtime;
  rt.dispatch({
    shader: 'sgd-update',
    code,
    ints: [attrs.size, attrs.nesterov ? 1 : 0],
    floats: [attrs.lr, attrs.momentum, attrs.weightDecay],
    inputs: [grad.buffer],
    outputs: [param.buffer, velocity.buffer],
    workgroups: rt.grid(attrs.size),
  });
};
