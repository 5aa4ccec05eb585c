import type { KernelFn } from '@stridenet/core';
import { addon, one } from '../addon.js';
import type { NativeHandle } from '../handle.js';

/** dy routed to the cell each window's argmax tap names. C++: src/native/kernels/max-pool2d-grad-argmax.cc. */
export const MaxPool2DGradArgmax: KernelFn<NativeHandle, 'MaxPool2DGradArgmax'> = ({ dy, argmax }, { plan }) =>
  one('MaxPool2DGradArgmax', addon().run('MaxPool2DGradArgmax', [dy, argmax], plan.encoded, []));
