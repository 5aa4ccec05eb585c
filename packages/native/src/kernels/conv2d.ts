import type { KernelFn } from '@stridenet/core';
import { addon, one } from '../addon.js';
import type { NativeHandle } from '../handle.js';

/** y = act(conv(x, filter) + bias): the runtime ISA's direct kernels (tiled, Winograd or depthwise) where they take the geometry, else packed GEMM over an implicit im2col; bias and relu fused. C++: src/native/kernels/conv2d.cc. */
export const Conv2D: KernelFn<NativeHandle, 'Conv2D'> = ({ x, filter, bias }, { plan, activation }) =>
  one('Conv2D', addon().run('Conv2D', [x, filter, bias ?? null], plan.encoded, [activation === 'relu' ? 1 : 0]));
