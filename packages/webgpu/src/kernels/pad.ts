import { sizeOf, type KernelFn } from '@stridenet/core';
import type { WebGpuHandle } from '../runtime.js';
import code from '../shaders/pad.wgsl';

export const Pad: KernelFn<WebGpuHandle, 'Pad'> = ({ x }, { plan, value }) => {
  const rt = x.runtime;
  const size = sizeOf(plan.outShape);
  const y = rt.acquire(size);
  rt.dispatch({
    shader: 'pad',
    code,
    prelude: 'gather',
    ints: [...plan.encoded, size],
    floats: [value],
    inputs: [x.buffer],
    outputs: [y.buffer],
    workgroups: rt.grid(size),
  });
  return y;
};
