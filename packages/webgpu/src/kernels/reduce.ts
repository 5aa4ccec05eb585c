import { enumCodes, type KernelFn } from '@stridenet/core';
import type { WebGpuHandle } from '../runtime.js';
import code from '../shaders/reduce.wgsl';

const REDUCE_OPS = enumCodes('reduceOp');

/** One 64-thread workgroup per output value. */
export const Reduce: KernelFn<WebGpuHandle, 'Reduce'> = ({ x }, { op, plan }) => {
  const rt = x.runtime;
  const size = plan.outer * plan.inner;
  const y = rt.acquire(size);
  rt.dispatch({
    shader: 'reduce',
    code,
    constants: { OP: REDUCE_OPS[op] },
    ints: plan.encoded,
    inputs: [x.buffer],
    outputs: [y.buffer],
    workgroups: rt.itemGrid(size),
  });
  return y;
};
