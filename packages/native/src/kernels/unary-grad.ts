import type { KernelFn } from '@stridenet/core';
import { addon, one, sizeEncoding } from '../addon.js';
import type { NativeHandle } from '../handle.js';
import { UNARY_CODES } from '../op-codes.js';

/** dy * op'(x). C++: src/native/kernels/unary-grad.cc. */
export const UnaryGrad: KernelFn<NativeHandle, 'UnaryGrad'> = ({ dy, x, y }, { op, alpha, size }) =>
  one('UnaryGrad', addon().run('UnaryGrad', [dy, x, y], sizeEncoding(size), [UNARY_CODES[op], alpha]));
