import type { KernelFn } from '@stridenet/core';
import { CHUNK, type WasmHandle } from '../runtime.js';
import { launch } from '../checks/call.js';
import { checkTensorListPlan } from '../checks/plans.js';

const K = 'AllFinite';

/** [1]: set to 1 here, cleared by any work unit that meets NaN or ±Inf. */
export const allFinite: KernelFn<WasmHandle, 'AllFinite'> = (inputs, attrs) => {
  const plan = checkTensorListPlan(K, attrs);
  return launch(K, inputs, { xs: plan.sizes }, (k) => {
    const out = k.output(1);
    const at = k.addr(out);
    k.rt.heapF32[at >> 2] = 1;
    const frame = k.frame([k.pointerList([k.ptrs.xs]), at], plan.encoded);
    k.run('allFinite', frame, Math.ceil(plan.total / CHUNK), { work: plan.total });
    return out;
  });
};
