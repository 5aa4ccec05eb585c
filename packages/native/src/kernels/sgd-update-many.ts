import type { KernelFn } from '@stridenet/core';
import { addon } from '../addon.js';
import type { NativeHandle } from '../handle.js';

/** SGD on every listed tensor in one parallel pass, in place. C++: src/native/kernels/sgd-update-many.cc. */
export const SgdUpdateMany: KernelFn<NativeHandle, 'SgdUpdateMany'> = ({ params, grads, velocities }, { plan, lr, momentum, nesterov, weightDecay }) => {
  addon().run('SgdUpdateMany', [...params, ...grads, ...velocities], plan.encoded, [lr, momentum, nesterov ? 1 : 0, weightDecay]);
};
