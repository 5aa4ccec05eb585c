import type { KernelFn } from '@stridenet/core';
import { addon, one } from '../addon.js';
import type { NativeHandle } from '../handle.js';

/** y = x + bias along channel axis 1. C++: src/native/kernels/bias-add.cc. */
export const BiasAdd: KernelFn<NativeHandle, 'BiasAdd'> = ({ x, bias }, { plan }) => one('BiasAdd', addon().run('BiasAdd', [x, bias], plan.encoded, []));
