import type { KernelFn } from '@stridenet/core';
import { addon, sizeEncoding } from '../addon.js';
import type { NativeHandle } from '../handle.js';

/** Adam / AdamW, in place. C++: src/native/kernels/adam-update.cc. */
export const AdamUpdate: KernelFn<NativeHandle, 'AdamUpdate'> = ({ param, grad, m, v }, { size, lr, beta1, beta2, epsilon, weightDecay, decoupled, step }) => {
  addon().run('AdamUpdate', [param, grad, m, v], sizeEncoding(size), [lr, beta1, beta2, epsilon, weightDecay, decoupled ? 1 : 0, step]);
};
