import type { KernelFn } from '@stridenet/core';
import { CHUNK, f32, type WasmHandle } from '../runtime.js';

/** In place on param and velocity. */
export const sgdUpdate: KernelFn<WasmHandle, 'SgdUpdate'> = ({ param, grad, velocity }, { size, lr, momentum, nesterov, weightDecay }) => {
  const rt = param.runtime;
  const frame = rt.frame([param.ptr, grad.ptr, velocity.ptr, f32(lr), f32(momentum), nesterov ? 1 : 0, f32(weightDecay), size]);
  try {
    rt.run('sgdUpdate', frame, Math.ceil(size / CHUNK), { work: size * 4 });
  } finally {
    rt.release(frame);
  }
};
