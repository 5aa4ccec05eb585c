import type { AdamManyAttrs, KernelFn } from '@stridenet/core';
import { CHUNK, f32, type FrameArg, type WasmHandle } from '../runtime.js';
import { checkBoolAttr, checkFiniteAttr, checkSize } from '../checks/attrs.js';
import { launch } from '../checks/call.js';

const K = 'AdamUpdate';

/**
 * Frame slots of adamUpdate and adamUpdateMany, checked: `head` fills 4 to 11 (lr, beta1, beta2,
 * epsilon, weightDecay, decoupled, 1 - beta1^step, 1 - beta2^step), `tail` 13 and 14 (1 - beta1,
 * 1 - beta2); the bias corrections are computed here in double precision.
 */
export function adamSettings(kernel: string, a: Omit<AdamManyAttrs, 'plan'>): { head: FrameArg[]; tail: FrameArg[] } {
  const [lr, beta1, beta2, epsilon, weightDecay] = (['lr', 'beta1', 'beta2', 'epsilon', 'weightDecay'] as const).map((n) => checkFiniteAttr(kernel, n, a[n]));
  const step = checkFiniteAttr(kernel, 'step', a.step, 1);
  const decoupled = checkBoolAttr(kernel, 'decoupled', a.decoupled);
  return {
    head: [f32(lr!), f32(beta1!), f32(beta2!), f32(epsilon!), f32(weightDecay!), decoupled ? 1 : 0, f32(1 - beta1! ** step), f32(1 - beta2! ** step)],
    tail: [f32(1 - beta1!), f32(1 - beta2!)],
  };
}

/** In place on param, m and v. */
export const adamUpdate: KernelFn<WasmHandle, 'AdamUpdate'> = (inputs, a) => {
  const size = checkSize(K, a);
  const { head, tail } = adamSettings(K, a);
  launch(K, inputs, { param: size, grad: size, m: size, v: size }, (k) => {
    const { param, grad, m, v } = k.ptr;
    const frame = k.frame([param, grad, m, v, ...head, size, ...tail]);
    k.run('adamUpdate', frame, Math.ceil(size / CHUNK), { work: size * 10 });
  });
};
