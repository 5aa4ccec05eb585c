import type { KernelFn } from '@stridenet/core';
import { addon, one } from '../addon.js';
import type { NativeHandle } from '../handle.js';

/** A box of the input. C++: src/native/kernels/slice.cc. */
export const Slice: KernelFn<NativeHandle, 'Slice'> = ({ x }, { plan }) => one('Slice', addon().run('Slice', [x], plan.encoded, []));
