import type { KernelFn } from '@stridenet/core';
import { CHUNK, type WasmHandle } from '../runtime.js';
import { launch } from '../checks/call.js';
import { checkTensorListPlan } from '../checks/plans.js';
import { adamSettings } from './adam-update.js';

const K = 'AdamUpdateMany';

/** In place on every params[i], ms[i] and vs[i]; units of CHUNK values run across tensor ends. */
export const adamUpdateMany: KernelFn<WasmHandle, 'AdamUpdateMany'> = (inputs, attrs) => {
  const plan = checkTensorListPlan(K, attrs);
  const { head, tail } = adamSettings(K, attrs);
  const sizes = plan.sizes;
  launch(K, inputs, { params: sizes, grads: sizes, ms: sizes, vs: sizes }, (k) => {
    const list = k.pointerList([k.ptrs.params, k.ptrs.grads, k.ptrs.ms, k.ptrs.vs]);
    const frame = k.frame([list, 0, 0, 0, ...head, plan.total, ...tail], plan.encoded);
    k.run('adamUpdateMany', frame, Math.ceil(plan.total / CHUNK), { work: plan.total * 10 });
  });
};
