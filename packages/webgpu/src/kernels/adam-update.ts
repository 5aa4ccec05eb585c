import type { AdamManyAttrs, KernelFn } from '@stridenet/core';
import type { WebGpuHandle } from '../runtime.js';
import code from '../shaders/adam-update.wgsl';

/**
 * AdamSettings (shaders/adam-step.wgsl) as uniform words, shared with AdamUpdateMany: `decoupled`
 * starts the ints at word 4 (after the sizes, padded), the rest are floats; bias corrections in float64.
 */
export function adamWords(sizes: readonly number[], a: Omit<AdamManyAttrs, 'plan'>): { ints: number[]; floats: number[] } {
  const ints = [...sizes, 0, 0, 0, 0].slice(0, 4);
  ints.push(a.decoupled ? 1 : 0);
  const floats = [a.lr, a.beta1, a.beta2, a.epsilon, a.weightDecay, 1 - a.beta1 ** a.step, 1 - a.beta2 ** a.step, 1 - a.beta1, 1 - a.beta2, a.lr * a.weightDecay];
  return { ints, floats };
}

/** Fused, in place on param, m and v. */
export const AdamUpdate: KernelFn<WebGpuHandle, 'AdamUpdate'> = ({ param, grad, m, v }, attrs) => {
  const rt = param.runtime;
  rt.dispatch({
    shader: 'adam-update',
    code,
    prelude: 'adam',
    ...adamWords([attrs.size], attrs),
    inputs: [grad.buffer],
    outputs: [param.buffer, m.buffer, v.buffer],
    workgroups: rt.grid(attrs.size),
  });
};
