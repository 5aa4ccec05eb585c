import { sizeOf, type KernelFn } from '@stridenet/core';
import type { WasmHandle } from '../runtime.js';

/** One channel plane per work unit. */
export const maxPool2d: KernelFn<WasmHandle, 'MaxPool2D'> = ({ x }, { plan }) => {
  const rt = x.runtime;
  const y = rt.alloc(sizeOf(plan.outShape));
  const frame = rt.frame([x.ptr, y.ptr], plan.encoded);
  try {
    rt.run('maxPool2d', frame, plan.batch * plan.channels, { work: sizeOf(plan.outShape) * plan.windowHeight * plan.windowWidth });
  } finally {
    rt.release(frame);
  }
  return y;
};
