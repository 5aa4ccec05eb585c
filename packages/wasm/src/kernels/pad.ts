import { sizeOf, type KernelFn } from '@stridenet/core';
import { f32, type WasmHandle } from '../runtime.js';

/** One output row (every axis but the last) per work unit. */
export const pad: KernelFn<WasmHandle, 'Pad'> = ({ x }, { plan, value }) => {
  const rt = x.runtime;
  const size = sizeOf(plan.outShape);
  const y = rt.alloc(size);
  const frame = rt.frame([x.ptr, y.ptr, f32(value)], plan.encoded);
  try {
    rt.run('pad', frame, size / plan.outShape[plan.rank - 1]!, { work: size });
  } finally {
    rt.release(frame);
  }
  return y;
};
