import type { KernelFn } from '@stridenet/core';
import { CHUNK, type WasmHandle } from '../runtime.js';
import { launch } from '../checks/call.js';
import { checkTensorListPlan } from '../checks/plans.js';
import { sgdSettings } from './sgd-update.js';

const K = 'SgdUpdateMany';

/** In place on every params[i] and velocities[i]; units of CHUNK values run across tensor ends. */
export const sgdUpdateMany: KernelFn<WasmHandle, 'SgdUpdateMany'> = (inputs, attrs) => {
  const plan = checkTensorListPlan(K, attrs);
  const settings = sgdSettings(K, attrs);
  const sizes = plan.sizes;
  launch(K, inputs, { params: sizes, grads: sizes, velocities: sizes }, (k) => {
    const list = k.pointerList([k.ptrs.params, k.ptrs.grads, k.ptrs.velocities]);
    const frame = k.frame([list, 0, 0, ...settings], plan.encoded);
    k.run('sgdUpdateMany', frame, Math.ceil(plan.total / CHUNK), { work: plan.total * 4 });
  });
};
