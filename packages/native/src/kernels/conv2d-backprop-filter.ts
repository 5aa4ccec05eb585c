import type { KernelFn } from '@stridenet/core';
import { addon, one } from '../addon.js';
import type { NativeHandle } from '../handle.js';

/** dfilter = the runtime ISA's direct kernel where it takes the geometry, else the sum over images of dy im2col(x)^T by packed GEMM. C++: src/native/kernels/conv2d-backprop-filter.cc. */
export const Conv2DBackpropFilter: KernelFn<NativeHandle, 'Conv2DBackpropFilter'> = ({ x, dy }, { plan }) =>
  one('Conv2DBackpropFilter', addon().run('Conv2DBackpropFilter', [x, dy], plan.encoded, []));
