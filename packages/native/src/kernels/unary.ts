import type { KernelFn } from '@stridenet/core';
import { addon, one, sizeEncoding } from '../addon.js';
import type { NativeHandle } from '../handle.js';
import { UNARY_CODES } from '../op-codes.js';

/** Element-wise activations and math functions. C++: src/native/kernels/unary.cc. */
export const Unary: KernelFn<NativeHandle, 'Unary'> = ({ x }, { op, alpha, size }) =>
  one('Unary', addon().run('Unary', [x], sizeEncoding(size), [UNARY_CODES[op], alpha]));
