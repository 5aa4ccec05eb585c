import type { KernelFn } from '@stridenet/core';
import { CHUNK, f32, type WasmHandle } from '../runtime.js';
import { launch } from '../checks/call.js';
import { unaryAttrs } from './unary.js';

export const unaryGrad: KernelFn<WasmHandle, 'UnaryGrad'> = (inputs, attrs) => {
  const { size, code, alpha } = unaryAttrs('UnaryGrad', attrs);
  return launch('UnaryGrad', inputs, { dy: size, x: size, y: size }, (k) => {
    const dx = k.output(size);
    const frame = k.frame([k.ptr.dy, k.ptr.x, k.ptr.y, k.addr(dx), code, f32(alpha), size]);
    k.run('unaryGrad', frame, Math.ceil(size / CHUNK), { work: size * 4 });
    return dx;
  });
};
