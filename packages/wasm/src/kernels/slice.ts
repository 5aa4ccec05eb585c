import { sizeOf, type KernelFn } from '@stridenet/core';
import type { WasmHandle } from '../runtime.js';

/** One output row (every axis but the last) per work unit. */
export const slice: KernelFn<WasmHandle, 'Slice'> = ({ x }, { plan }) => {
  const rt = x.runtime;
  const size = sizeOf(plan.outShape);
  const y = rt.alloc(size);
  const frame = rt.frame([x.ptr, y.ptr], plan.encoded);
  try {
    rt.run('slice', frame, size / plan.outShape[plan.rank - 1]!, { work: size });
  } finally {
    rt.release(frame);
  }
  return y;
};
