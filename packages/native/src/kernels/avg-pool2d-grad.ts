import type { KernelFn } from '@stridenet/core';
import { addon, one } from '../addon.js';
import type { NativeHandle } from '../handle.js';

/** Spreads dy / divisor over each window. C++: src/native/kernels/avg-pool2d-grad.cc. */
export const AvgPool2DGrad: KernelFn<NativeHandle, 'AvgPool2DGrad'> = ({ dy }, { plan }) => one('AvgPool2DGrad', addon().run('AvgPool2DGrad', [dy], plan.encoded, []));
