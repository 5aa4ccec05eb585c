import type { KernelFn } from '@stridenet/core';
import type { WasmHandle } from '../runtime.js';

/** One row per work unit. */
export const softmax: KernelFn<WasmHandle, 'Softmax'> = ({ x }, { plan, log }) => {
  const rt = x.runtime;
  const y = rt.alloc(plan.rows * plan.cols);
  const frame = rt.frame([x.ptr, y.ptr, log ? 1 : 0], plan.encoded);
  try {
    rt.run('softmax', frame, plan.rows, { work: plan.rows * plan.cols * 8 });
  } finally {
    rt.release(frame);
  }
  return y;
};
