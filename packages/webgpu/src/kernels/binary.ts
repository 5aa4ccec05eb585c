import { enumCodes, type KernelFn } from '@stridenet/core';
import type { WebGpuHandle } from '../runtime.js';
import code from '../shaders/binary.wgsl';

/** Pipeline constant OP of binary.wgsl (core's enum codes; BINARY_OP_* in the WGSL prelude). */
export const BINARY_OPS = enumCodes('binaryOp');

export const Binary: KernelFn<WebGpuHandle, 'Binary'> = ({ a, b }, { op, plan }) => {
  const rt = a.runtime;
  const y = rt.acquire(plan.size);
  rt.dispatch({
    shader: 'binary',
    code,
    prelude: 'packed',
    constants: { OP: BINARY_OPS[op], SAME: plan.same ? 1 : 0 },
    ints: plan.encoded,
    inputs: [a.buffer, b.buffer],
    outputs: [y.buffer],
    workgroups: rt.grid(plan.size),
  });
  return y;
};
