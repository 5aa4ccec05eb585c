import type { KernelFn } from '@stridenet/core';
import { addon, one } from '../addon.js';
import type { NativeHandle } from '../handle.js';
import { BINARY_CODES } from '../op-codes.js';

/** Broadcasting binary ops. C++: src/native/kernels/binary.cc. */
export const Binary: KernelFn<NativeHandle, 'Binary'> = ({ a, b }, { op, plan }) => one('Binary', addon().run('Binary', [a, b], plan.encoded, [BINARY_CODES[op]]));
