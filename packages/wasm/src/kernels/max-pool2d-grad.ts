import { sizeOf, type KernelFn } from '@stridenet/core';
import type { WasmHandle } from '../runtime.js';

/** One channel plane per work unit, so the scatter into dx never races. */
export const maxPool2dGrad: KernelFn<WasmHandle, 'MaxPool2DGrad'> = ({ dy, x }, { plan }) => {
  const rt = x.runtime;
  const dx = rt.alloc(sizeOf(plan.inShape));
  const frame = rt.frame([dy.ptr, x.ptr, dx.ptr], plan.encoded);
  try {
    rt.run('maxPool2dGrad', frame, plan.batch * plan.channels, { work: sizeOf(plan.outShape) * plan.windowHeight * plan.windowWidth });
  } finally {
    rt.release(frame);
  }
  return dx;
};
