import type { KernelFn } from '@stridenet/core';
import type { WebGpuHandle } from '../runtime.js';
import code from '../shaders/softmax.wgsl';

/** One 64-thread workgroup per row. */
export const Softmax: KernelFn<WebGpuHandle, 'Softmax'> = ({ x }, { plan, log }) => {
  const rt = x.runtime;
  const y = rt.acquire(plan.rows * plan.cols);
  rt.dispatch({
    shader: 'softmax',
    code,
    constants: { LOG: log ? 1 : 0 },
    ints: plan.encoded,
    inputs: [x.buffer],
    outputs: [y.buffer],
    workgroups: rt.itemGrid(plan.rows),
  });
  return y;
};
