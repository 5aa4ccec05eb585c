import type { KernelFn } from '@stridenet/core';
import type { WebGpuHandle } from '../runtime.js';
import code from '../shaders/dropout.wgsl';

export const Dropout: KernelFn<WebGpuHandle, 'Dropout'> = ({ x, noise }, { rate, size }) => {
  const rt = x.runtime;
  const y = rt.acquire(size);
  rt.dispatch({
    shader: 'dropout',
    code,
    ints: [size],
    floats: [rate, 1 / (1 - rate)],
    inputs: [x.buffer, noise.buffer],
    outputs: [y.buffer],
    workgroups: rt.grid(size),
  });
  return y;
};
