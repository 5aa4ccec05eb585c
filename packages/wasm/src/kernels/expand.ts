import { EXPAND_ENCODING as E, type KernelFn } from '@stridenet/core';
import type { WasmHandle } from '../runtime.js';
import { launch } from '../checks/call.js';
import { checkExpandPlan } from '../checks/plans.js';

/** One output row (every axis but the last) per work unit. */
export const expand: KernelFn<WasmHandle, 'Expand'> = (inputs, attrs) => {
  const { plan, inSize } = checkExpandPlan('Expand', attrs);
  return launch('Expand', inputs, { x: inSize }, (k) => {
    const y = k.output(plan.size);
    const frame = k.frame([k.ptr.x, k.addr(y)], plan.encoded);
    k.run('expand', frame, plan.size / plan.encoded[E.outShape + plan.encoded[E.rank]! - 1]!, { work: plan.size });
    return y;
  });
};
