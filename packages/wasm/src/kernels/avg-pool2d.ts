import { sizeOf, type KernelFn } from '@stridenet/core';
import { poolRowFloats, type WasmHandle } from '../runtime.js';

/** One channel plane per work unit; each thread keeps column counts and one padded row buffer in scratch. */
export const avgPool2d: KernelFn<WasmHandle, 'AvgPool2D'> = ({ x }, { plan }) => {
  const rt = x.runtime;
  const y = rt.alloc(sizeOf(plan.outShape));
  const frame = rt.frame([x.ptr, y.ptr], plan.encoded);
  try {
    rt.run('avgPool2d', frame, plan.batch * plan.channels, {
      scratchBytes: (Math.ceil(plan.outWidth / 4) * 4 + poolRowFloats(plan)) * 4,
      work: sizeOf(plan.inShape) + sizeOf(plan.outShape) * plan.windowWidth,
    });
  } finally {
    rt.release(frame);
  }
  return y;
};
