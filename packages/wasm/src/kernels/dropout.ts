import type { KernelFn } from '@stridenet/core';
import { CHUNK, f32, type WasmHandle } from '../runtime.js';
import { checkFiniteAttr, checkSize } from '../checks/attrs.js';
import { launch } from '../checks/call.js';

export const dropout: KernelFn<WasmHandle, 'Dropout'> = (inputs, attrs) => {
  const size = checkSize('Dropout', attrs);
  const rate = checkFiniteAttr('Dropout', 'rate', attrs.rate, 0, 1);
  return launch('Dropout', inputs, { x: size, noise: size }, (k) => {
    const y = k.output(size);
    const frame = k.frame([k.ptr.x, k.ptr.noise, k.addr(y), f32(rate), size]);
    k.run('dropout', frame, Math.ceil(size / CHUNK), { work: size });
    return y;
  });
};
