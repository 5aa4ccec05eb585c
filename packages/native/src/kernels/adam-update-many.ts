import type { KernelFn } from '@stridenet/core';
import { addon } from '../addon.js';
import type { NativeHandle } from '../handle.js';

/** Adam / AdamW on every listed tensor in one parallel pass, in place. C++: src/native/kernels/adam-update-many.cc. */
export const AdamUpdateMany: KernelFn<NativeHandle, 'AdamUpdateMany'> = ({ params, grads, ms, vs }, attrs) => {
  const { plan, lr, beta1, beta2, epsilon, weightDecay, decoupled, step } = attrs;
  addon().run('AdamUpdateMany', [...params, ...grads, ...ms, ...vs], plan.encoded, [lr, beta1, beta2, epsilon, weightDecay, decoupled ? 1 : 0, step]);
};
