import type { KernelFn } from '@stridenet/core';
import type { WasmHandle } from '../runtime.js';

/** One (outer, channel) row per work unit. */
export const biasAdd: KernelFn<WasmHandle, 'BiasAdd'> = ({ x, bias }, { plan }) => {
  const rt = x.runtime;
  const y = rt.alloc(plan.outer * plan.channels * plan.inner);
  const frame = rt.frame([x.ptr, bias.ptr, y.ptr], plan.encoded);
  try {
    rt.run('biasAdd', frame, plan.outer * plan.channels, { work: plan.outer * plan.channels * plan.inner });
  } finally {
    rt.release(frame);
  }
  return y;
};
