import { enumCodes, type KernelFn } from '@stridenet/core';
import type { WasmHandle } from '../runtime.js';
import { opCode } from '../checks/attrs.js';
import { launch } from '../checks/call.js';
import { checkReducePlan } from '../checks/plans.js';

const REDUCE_OPS = enumCodes('reduceOp');

/** One outer index per work unit. */
export const reduce: KernelFn<WasmHandle, 'Reduce'> = (inputs, attrs) => {
  const plan = checkReducePlan('Reduce', attrs);
  const code = opCode('Reduce', REDUCE_OPS, attrs.op);
  return launch('Reduce', inputs, { x: plan.outer * plan.reduce * plan.inner }, (k) => {
    const y = k.output(plan.outer * plan.inner);
    const frame = k.frame([k.ptr.x, k.addr(y), code], plan.encoded);
    k.run('reduce', frame, plan.outer, { work: plan.outer * plan.reduce * plan.inner });
    return y;
  });
};
