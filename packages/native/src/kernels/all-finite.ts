import type { KernelFn } from '@stridenet/core';
import { addon, one } from '../addon.js';
import type { NativeHandle } from '../handle.js';

/** [1]: 1 when every listed value is finite, else 0. C++: src/native/kernels/all-finite.cc. */
export const AllFinite: KernelFn<NativeHandle, 'AllFinite'> = ({ xs }, { plan }) => one('AllFinite', addon().run('AllFinite', xs, plan.encoded, []));
