import type { KernelFn } from '@stridenet/core';
import { CHUNK, f32, type WasmHandle } from '../runtime.js';

/** In place on param, m and v; the bias corrections are computed here in double precision. */
export const adamUpdate: KernelFn<WasmHandle, 'AdamUpdate'> = ({ param, grad, m, v }, a) => {
  const rt = param.runtime;
  const frame = rt.frame([
    param.ptr, grad.ptr, m.ptr, v.ptr, f32(a.lr), f32(a.beta1), f32(a.beta2), f32(a.epsilon), f32(a.weightDecay),
    a.decoupled ? 1 : 0, f32(1 - a.beta1 ** a.step), f32(1 - a.beta2 ** a.step), a.size,
    f32(1 - a.beta1), f32(1 - a.beta2),
  ]);
  try {
    rt.run('adamUpdate', frame, Math.ceil(a.size / CHUNK), { work: a.size * 10 });
  } finally {
    rt.release(frame);
  }
};
