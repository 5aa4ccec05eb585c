import type { KernelFn } from '@stridenet/core';
import { AdamUpdate } from './adam-update.js';

/** AdamUpdate on each listed tensor in turn: the same arithmetic, one kernel call for all. */
export const AdamUpdateMany: KernelFn<Float32Array, 'AdamUpdateMany'> = ({ params, grads, ms, vs }, { plan, ...attrs }) => {
  plan.sizes.forEach((size, i) => AdamUpdate({ param: params[i]!, grad: grads[i]!, m: ms[i]!, v: vs[i]! }, { ...attrs, size }));
};
