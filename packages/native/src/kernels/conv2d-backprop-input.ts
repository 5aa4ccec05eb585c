import type { KernelFn } from '@stridenet/core';
import { addon, one } from '../addon.js';
import type { NativeHandle } from '../handle.js';

/** dx from dy: the runtime ISA's direct kernels (the forward kernel on the flipped filter, per stride phase) where they take the geometry, else W^T dy by packed GEMM, then col2im. C++: src/native/kernels/conv2d-backprop-input.cc. */
export const Conv2DBackpropInput: KernelFn<NativeHandle, 'Conv2DBackpropInput'> = ({ dy, filter }, { plan }) =>
  one('Conv2DBackpropInput', addon().run('Conv2DBackpropInput', [dy, filter], plan.encoded, []));
