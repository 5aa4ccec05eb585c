import { sizeOf, type KernelFn } from '@stridenet/core';
import type { WasmHandle } from '../runtime.js';
import { launch } from '../checks/call.js';
import { checkConcatPlan } from '../checks/plans.js';

/** One outer index per work unit; the input pointers travel as an i32 array in linear memory. */
export const concat: KernelFn<WasmHandle, 'Concat'> = (inputs, attrs) => {
  const plan = checkConcatPlan('Concat', attrs);
  return launch('Concat', inputs, { xs: plan.blockSizes.map((b) => plan.outer * b) }, (k) => {
    const out = k.output(sizeOf(plan.outShape));
    const list = k.scratch(plan.blockSizes.length * 4);
    k.rt.heapI32.set(k.ptrs.xs, list >> 2);
    const frame = k.frame([k.addr(out), list], plan.encoded);
    k.run('concat', frame, plan.outer, { work: sizeOf(plan.outShape) });
    return out;
  });
};
