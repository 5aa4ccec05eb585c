import type { KernelFn } from '@stridenet/core';
import { addon, two } from '../addon.js';
import type { NativeHandle } from '../handle.js';

/** Max pooling and each window's selected tap: [y, argmax]. C++: src/native/kernels/max-pool2d-argmax.cc. */
export const MaxPool2DArgmax: KernelFn<NativeHandle, 'MaxPool2DArgmax'> = ({ x }, { plan }) =>
  two('MaxPool2DArgmax', addon().run('MaxPool2DArgmax', [x], plan.encoded, []));
