import type { BinaryOp, KernelFn } from '@stridenet/core';
import { CHUNK, type WasmHandle } from '../runtime.js';
import { opCode } from '../checks/attrs.js';
import { launch } from '../checks/call.js';
import { checkBroadcastPlan } from '../checks/plans.js';

/** Op codes read by assembly/kernels/binary.ts. */
export const BINARY_OPS: Readonly<Record<BinaryOp, number>> = { add: 0, sub: 1, mul: 2, div: 3, max: 4, min: 5, equal: 6 };

export const binary: KernelFn<WasmHandle, 'Binary'> = (inputs, attrs) => {
  const { plan, aSize, bSize } = checkBroadcastPlan('Binary', attrs);
  const code = opCode('Binary', BINARY_OPS, attrs.op);
  return launch('Binary', inputs, { a: aSize, b: bSize }, (k) => {
    const out = k.output(plan.size);
    const frame = k.frame([k.ptr.a, k.ptr.b, k.addr(out), code, plan.same ? 1 : 0], plan.encoded);
    k.run('binary', frame, Math.ceil(plan.size / CHUNK), { work: plan.size });
    return out;
  });
};
