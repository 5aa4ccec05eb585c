import type { KernelFn } from '@stridenet/core';
import { addon, one } from '../addon.js';
import type { NativeHandle } from '../handle.js';

/**
 * y = act(conv(x, filter) + bias + residual): the runtime ISA's direct kernels (tiled, Winograd or depthwise) where they take the geometry, else packed GEMM over an implicit im2col; bias, residual and relu fused in each kernel's epilogue.
 * noGrad (no gradient recorded) lets trainable filters take Winograd as constant ones do. C++: src/native/kernels/conv2d.cc.
 */
export const Conv2D: KernelFn<NativeHandle, 'Conv2D'> = ({ x, filter, bias, residual }, { plan, activation, noGrad }) =>
  one('Conv2D', addon().run('Conv2D', [x, filter, bias ?? null, residual ?? null], plan.encoded, [activation === 'relu' ? 1 : 0, noGrad === true ? 1 : 0]));
