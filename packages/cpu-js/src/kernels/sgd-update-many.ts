import type { KernelFn } from '@stridenet/core';
import { SgdUpdate } from './sgd-update.js';

/** SgdUpdate on each listed tensor in turn: the same arithmetic, one kernel call for all. */
export const SgdUpdateMany: KernelFn<Float32Array, 'SgdUpdateMany'> = ({ params, grads, velocities }, { plan, ...attrs }) => {
  plan.sizes.forEach((size, i) => SgdUpdate({ param: params[i]!, grad: grads[i]!, velocity: velocities[i]! }, { ...attrs, size }));
};
