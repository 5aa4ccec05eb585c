import { sizeOf, type KernelFn } from '@stridenet/core';
import type { WebGpuHandle } from '../runtime.js';
import code from '../shaders/slice.wgsl';

export const Slice: KernelFn<WebGpuHandle, 'Slice'> = ({ x }, { plan }) => {
  const rt = x.runtime;
  const size = sizeOf(plan.outShape);
  const y = rt.acquire(size);
  rt.dispatch({ shader: 'slice', code, prelude: 'gather', ints: [...plan.encoded, size], inputs: [x.buffer], outputs: [y.buffer], workgroups: rt.grid(size) });
  return y;
};
