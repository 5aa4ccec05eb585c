import type { KernelFn } from '@stridenet/core';
import type { WebGpuHandle } from '../runtime.js';
import code from '../shaders/unary-grad.wgsl';
import { UNARY_OPS } from './unary.js';

export const UnaryGrad: KernelFn<WebGpuHandle, 'UnaryGrad'> = ({ dy, x, y }, { op, alpha, size }) => {
  const rt = dy.runtime;
  const dx = rt.acquire(size);
  rt.dispatch({
    shader: 'unary-grad',
    code,
    constants: { OP: UNARY_OPS[op] },
    ints: [size],
    floats: [alpha],
    inputs: [dy.buffer, x.buffer, y.buffer],
    outputs: [dx.buffer],
    workgroups: rt.grid(size),
  });
  return dx;
};
