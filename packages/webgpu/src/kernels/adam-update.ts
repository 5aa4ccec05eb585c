import type { KernelFn } from '@stridenet/core';
import type { WebGpuHandle } from '../runtime.js';
import code from '../shaders/adam-update.wgsl';

/** Fused, in place on param, m and v; bias corrections computed here in float64. */
export const AdamUpdate: KernelFn<WebGpuHandle, 'AdamUpdate'> = ({ param, grad, m, v }, attrs) => {
  const rt = param.runtime;
  rt.dispatch({
    shader: 'adam-update',
    code,
    ints: [attrs.size, attrs.decoupled ? 1 : 0],
    floats: [
      attrs.lr,
      attrs.beta1,
      attrs.beta2,
      attrs.epsilon,
      attrs.weightDecay,
      1 - attrs.beta1 ** attrs.step,
      1 - attrs.beta2 ** attrs.step,
      1 - attrs.beta1,
      1 - attrs.beta2,
      attrs.lr * attrs.weightDecay,
    ],
    inputs: [grad.buffer],
    outputs: [param.buffer, m.buffer, v.buffer],
    workgroups: rt.grid(attrs.size),
  });
};
