import type { KernelFn } from '@stridenet/core';
import { addon, one } from '../addon.js';
import type { NativeHandle } from '../handle.js';

/** y = act(conv(x, filter) + bias): im2col + packed AVX2 GEMM, bias and relu fused. C++: src/native/kernels/conv2d.cc. */
export const Conv2D: KernelFn<NativeHandle, 'Conv2D'> = ({ x, filter, bias }, { plan, activation }) =>
  one('Conv2D', addon().run('Conv2D', [x, filter, bias ?? null], plan.encoded, [activation === 'relu' ? 1 : 0]));
