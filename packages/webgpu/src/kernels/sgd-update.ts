import type { KernelFn, SgdManyAttrs } from '@stridenet/core';
import type { WebGpuHandle } from '../runtime.js';
import code from '../shaders/sgd-update.wgsl';

/** The uniform words after the sizes, shared with SgdUpdateMany: nesterov (int), then lr, momentum, weightDecay. */
export function sgdWords(attrs: Omit<SgdManyAttrs, 'plan'>): { ints: number[]; floats: number[] } {
  return { ints: [attrs.nesterov ? 1 : 0], floats: [attrs.lr, attrs.momentum, attrs.weightDecay] };
}

/** Fused, in place on param and velocity: training never leaves the GPU. */
export const SgdUpdate: KernelFn<WebGpuHandle, 'SgdUpdate'> = ({ param, grad, velocity }, attrs) => {
  const rt = param.runtime;
  const { ints, floats } = sgdWords(attrs);
  rt.dispatch({
    shader: 'sgd-update',
    code,
    prelude: 'sgd',
    ints: [attrs.size, ...ints],
    floats,
    inputs: [grad.buffer],
    outputs: [param.buffer, velocity.buffer],
    workgroups: rt.grid(attrs.size),
  });
};
