import { enumCodes, type KernelFn } from '@stridenet/core';
import { CHUNK, type WasmHandle } from '../runtime.js';
import { opCode } from '../checks/attrs.js';
import { launch } from '../checks/call.js';
import { checkBroadcastPlan } from '../checks/plans.js';

/** Op codes read by assembly/kernels/binary.ts (BINARY_OP_* in assembly/generated/spec.ts). */
export const BINARY_OPS = enumCodes('binaryOp');

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
