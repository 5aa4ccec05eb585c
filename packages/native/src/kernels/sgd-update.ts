import type { KernelFn } from '@stridenet/core';
import { addon, sizeEncoding } from '../addon.js';
import type { NativeHandle } from '../handle.js';

/** SGD with momentum / Nesterov / weight decay, in place. C++: src/native/kernels/sgd-update.cc. */
export const SgdUpdate: KernelFn<NativeHandle, 'SgdUpdate'> = ({ param, grad, velocity }, { size, lr, momentum, nesterov, weightDecay }) => {
  addon().run('SgdUpdate', [param, grad, velocity], sizeEncoding(size), [lr, momentum, nesterov ? 1 : 0, weightDecay]);
};
