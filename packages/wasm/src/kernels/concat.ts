import { sizeOf, type KernelFn } from '@stridenet/core';
import type { WasmHandle } from '../runtime.js';

/** One outer index per work unit; the input pointers travel as an i32 array in linear memory. */
export const concat: KernelFn<WasmHandle, 'Concat'> = ({ xs }, { plan }) => {
  const rt = xs[0]!.runtime;
  const out = rt.alloc(sizeOf(plan.outShape));
  const list = rt.scratch(xs.length * 4);
  rt.heapI32.set(xs.map((h) => h.ptr), list >> 2);
  const frame = rt.frame([out.ptr, list], plan.encoded);
  try {
    rt.run('concat', frame, plan.outer, { work: sizeOf(plan.outShape) });
  } finally {
    rt.release(frame);
    rt.release(list);
  }
  return out;
};
