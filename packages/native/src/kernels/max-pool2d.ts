import type { KernelFn } from '@stridenet/core';
import { addon, one } from '../addon.js';
import type { NativeHandle } from '../handle.js';

/** Max pooling, vectorised across output columns. C++: src/native/kernels/max-pool2d.cc. */
export const MaxPool2D: KernelFn<NativeHandle, 'MaxPool2D'> = ({ x }, { plan }) => one('MaxPool2D', addon().run('MaxPool2D', [x], plan.encoded, []));
