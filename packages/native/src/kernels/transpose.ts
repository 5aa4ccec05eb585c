import type { KernelFn } from '@stridenet/core';
import { addon, one } from '../addon.js';
import type { NativeHandle } from '../handle.js';

/** Axis permutation. C++: src/native/kernels/transpose.cc. */
export const Transpose: KernelFn<NativeHandle, 'Transpose'> = ({ x }, { plan }) => one('Transpose', addon().run('Transpose', [x], plan.encoded, []));
