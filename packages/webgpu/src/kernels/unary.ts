import { enumCodes, type KernelFn } from '@stridenet/core';
import type { WebGpuHandle } from '../runtime.js';
import code from '../shaders/unary.wgsl';

/** Pipeline constant OP of unary.wgsl and unary-grad.wgsl (core's enum codes; UNARY_OP_* in the WGSL prelude). */
export const UNARY_OPS = enumCodes('unaryOp');

export const Unary: KernelFn<WebGpuHandle, 'Unary'> = ({ x }, { op, alpha, size }) => {
  const rt = x.runtime;
  const y = rt.acquire(size);
  rt.dispatch({
    shader: 'unary',
    code,
    constants: { OP: UNARY_OPS[op] },
    ints: [size],
    floats: [alpha],
    inputs: [x.buffer],
    outputs: [y.buffer],
    workgroups: rt.grid(size),
  });
  return y;
};
