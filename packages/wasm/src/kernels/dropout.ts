import type { KernelFn } from '@stridenet/core';
import { CHUNK, f32, type WasmHandle } from '../runtime.js';

export const dropout: KernelFn<WasmHandle, 'Dropout'> = ({ x, noise }, { rate, size }) => {
  const rt = x.runtime;
  const y = rt.alloc(size);
  const frame = rt.frame([x.ptr, noise.ptr, y.ptr, f32(rate), size]);
  try {
    rt.run('dropout', frame, Math.ceil(size / CHUNK), { work: size });
  } finally {
    rt.release(frame);
  }
  return y;
};
