import type { KernelFn } from '@stridenet/core';
import { CHUNK, f32, type WasmHandle } from '../runtime.js';
import { checkBoolAttr, checkFiniteAttr, checkSize } from '../checks/attrs.js';
import { launch } from '../checks/call.js';

const K = 'AdamUpdate';

/** In place on param, m and v; the bias corrections are computed here in double precision. */
export const adamUpdate: KernelFn<WasmHandle, 'AdamUpdate'> = (inputs, a) => {
  const size = checkSize(K, a);
  const [lr, beta1, beta2, epsilon, weightDecay] = (['lr', 'beta1', 'beta2', 'epsilon', 'weightDecay'] as const).map((n) => checkFiniteAttr(K, n, a[n]));
  const step = checkFiniteAttr(K, 'step', a.step, 1);
  const decoupled = checkBoolAttr(K, 'decoupled', a.decoupled);
  launch(K, inputs, { param: size, grad: size, m: size, v: size }, (k) => {
    const { param, grad, m, v } = k.ptr;
    const frame = k.frame([
      param, grad, m, v, f32(lr!), f32(beta1!), f32(beta2!), f32(epsilon!), f32(weightDecay!),
      decoupled ? 1 : 0, f32(1 - beta1! ** step), f32(1 - beta2! ** step), size,
      f32(1 - beta1!), f32(1 - beta2!),
    ]);
    k.run('adamUpdate', frame, Math.ceil(size / CHUNK), { work: size * 10 });
  });
};
