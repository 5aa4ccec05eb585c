import type { KernelFn } from '@stridenet/core';
import { addon, one } from '../addon.js';
import type { NativeHandle } from '../handle.js';
import { REDUCE_CODES } from '../op-codes.js';

/** [outer, reduce, inner] -> [outer, inner]. C++: src/native/kernels/reduce.cc. */
export const Reduce: KernelFn<NativeHandle, 'Reduce'> = ({ x }, { op, plan }) => one('Reduce', addon().run('Reduce', [x], plan.encoded, [REDUCE_CODES[op]]));
