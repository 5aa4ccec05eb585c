import { sizeOf, type KernelFn } from '@stridenet/core';
import type { WasmHandle } from '../runtime.js';

/** One channel plane per work unit, so the scatter into dx never races. */
export const avgPool2dGrad: KernelFn<WasmHandle, 'AvgPool2DGrad'> = ({ dy }, { plan }) => {
  const rt = dy.runtime;
  const dx = rt.alloc(sizeOf(plan.inShape));
  const frame = rt.frame([dy.ptr, dx.ptr], plan.encoded);
  try {
    rt.run('avgPool2dGrad', frame, plan.batch * plan.channels, { work: sizeOf(plan.outShape) * plan.windowHeight * plan.windowWidth });
  } finally {
    rt.release(frame);
  }
  return dx;
};
