import type { KernelFn } from '@stridenet/core';
import { addon, one } from '../addon.js';
import type { NativeHandle } from '../handle.js';

/** Concatenation along an axis. C++: src/native/kernels/concat.cc. */
export const Concat: KernelFn<NativeHandle, 'Concat'> = ({ xs }, { plan }) => one('Concat', addon().run('Concat', xs, plan.encoded, []));
