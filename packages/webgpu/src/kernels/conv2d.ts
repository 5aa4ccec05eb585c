import type { KernelFn } from '@stridenet/core';
import type { WebGpuHandle } from '../runtime.js';
import code from '../shaders/conv2d.wgsl';

/** Implicit-GEMM convolution: 64x64 tiles of [outChannels/groups] x [batch*outHeight*outWidth], one z slice per group; bias, residual and relu in the epilogue. */
export const Conv2D: KernelFn<WebGpuHandle, 'Conv2D'> = ({ x, filter, bias, residual }, { plan, activation }) => {
  const rt = x.runtime;
  const y = rt.acquire(plan.batch * plan.outChannels * plan.outHeight * plan.outWidth);
  rt.dispatch({
    shader: 'conv2d',
    code,
    constants: { HAS_BIAS: bias ? 1 : 0, HAS_RESIDUAL: residual ? 1 : 0, RELU: activation === 'relu' ? 1 : 0 },
    ints: plan.encoded,
    inputs: [x.buffer, filter.buffer, bias ? bias.buffer : rt.dummy, residual ? residual.buffer : rt.dummy],
    outputs: [y.buffer],
    workgroups: [
      Math.ceil((plan.batch * plan.outHeight * plan.outWidth) / 64),
      Math.ceil(plan.outChannels / plan.groups / 64),
      plan.groups,
    ],
  });
  return y;
};
