import type { KernelFn } from '@stridenet/core';
import { addon, one } from '../addon.js';
import type { NativeHandle } from '../handle.js';

/** Routes dy to the cell each window selects (last NaN, else first maximum). C++: src/native/kernels/max-pool2d-grad.cc. */
export const MaxPool2DGrad: KernelFn<NativeHandle, 'MaxPool2DGrad'> = ({ dy, x }, { plan }) => one('MaxPool2DGrad', addon().run('MaxPool2DGrad', [dy, x], plan.encoded, []));
