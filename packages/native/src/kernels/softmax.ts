import type { KernelFn } from '@stridenet/core';
import { addon, one } from '../addon.js';
import type { NativeHandle } from '../handle.js';

/** Softmax or log-softmax over the last axis. C++: src/native/kernels/softmax.cc. */
export const Softmax: KernelFn<NativeHandle, 'Softmax'> = ({ x }, { plan, log }) => one('Softmax', addon().run('Softmax', [x], plan.encoded, [log ? 1 : 0]));
