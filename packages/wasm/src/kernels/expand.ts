import type { KernelFn } from '@stridenet/core';
import type { WasmHandle } from '../runtime.js';

/** One output row (every axis but the last) per work unit. */
export const expand: KernelFn<WasmHandle, 'Expand'> = ({ x }, { plan }) => {
  const rt = x.runtime;
  const y = rt.alloc(plan.size);
  const frame = rt.frame([x.ptr, y.ptr], plan.encoded);
  try {
    rt.run('expand', frame, plan.size / plan.encoded[2 + plan.encoded[0]! - 1]!, { work: plan.size });
  } finally {
    rt.release(frame);
  }
  return y;
};
