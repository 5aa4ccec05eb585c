import type { KernelFn } from '@stridenet/core';
import type { WebGpuTensor } from '../runtime.js';
import code from '../shaders/conv2d-backprop-filter.wgsl';

/** Implicit GEMM over [outChannels/groups] x [(inChannels/groups)*kernelHeight*kernelWidth], summing batch*outHeight*outWidth. */
export const Conv2DBackpropFilter: KernelFn<WebGpuTensor, 'Conv2DBackpropFilter'> = ({ x, dy }, { plan }) => {
  const rt = x.runtime;
  const [o, ci, kh, kw] = plan.filterShape;
  const dfilter = rt.acquire(o * ci * kh * kw);
  rt.dispatch({
    shader: 'conv2d-backprop-filter',
    code,
    ints: plan.encoded,
    inputs: [x.buffer, dy.buffer],
    outputs: [dfilter.buffer],
    workgroups: [Math.ceil((ci * kh * kw) / 64), Math.ceil(o / plan.groups / 64), plan.groups],
  });
  return dfilter;
};
