import type { KernelFn } from '@stridenet/core';
import { addon, one } from '../addon.js';
import type { NativeHandle } from '../handle.js';

/** Average pooling with PyTorch divisors. C++: src/native/kernels/avg-pool2d.cc. */
export const AvgPool2D: KernelFn<NativeHandle, 'AvgPool2D'> = ({ x }, { plan }) => one('AvgPool2D', addon().run('AvgPool2D', [x], plan.encoded, []));
