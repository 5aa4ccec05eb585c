import type { KernelFn } from '@stridenet/core';
import { addon, one, sizeEncoding } from '../addon.js';
import type { NativeHandle } from '../handle.js';

/** Inverted dropout with noise from the core RNG. C++: src/native/kernels/dropout.cc. */
export const Dropout: KernelFn<NativeHandle, 'Dropout'> = ({ x, noise }, { rate, size }) => one('Dropout', addon().run('Dropout', [x, noise], sizeEncoding(size), [rate]));
