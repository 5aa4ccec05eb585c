import type { KernelFn } from '@stridenet/core';
import { CHUNK, f32, type WasmHandle } from '../runtime.js';
import { unaryCode } from './unary.js';

export const unaryGrad: KernelFn<WasmHandle, 'UnaryGrad'> = ({ dy, x, y }, { op, alpha, size }) => {
  const rt = dy.runtime;
  const dx = rt.alloc(size);
  const frame = rt.frame([dy.ptr, x.ptr, y.ptr, dx.ptr, unaryCode('UnaryGrad', op), f32(alpha), size]);
  try {
    rt.run('unaryGrad', frame, Math.ceil(size / CHUNK), { work: size * 4 });
  } finally {
    rt.release(frame);
  }
  return dx;
};
