import type { KernelFn, UnaryOp } from '@stridenet/core';
import type { WebGpuHandle } from '../runtime.js';
import code from '../shaders/unary.wgsl';

/** Pipeline constant OP of unary.wgsl and unary-grad.wgsl. */
export const UNARY_OPS = {
  relu: 0,
  leakyRelu: 1,
  elu: 2,
  sigmoid: 3,
  tanh: 4,
  exp: 5,
  log: 6,
  sqrt: 7,
  neg: 8,
  square: 9,
  identity: 10,
} as const satisfies Record<UnaryOp, number>;

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
