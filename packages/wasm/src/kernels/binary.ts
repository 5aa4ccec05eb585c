import type { BinaryOp, KernelFn } from '@stridenet/core';
import { CHUNK, type WasmHandle } from '../runtime.js';

/** Op codes read by assembly/kernels/binary.ts. */
export const BINARY_OPS: Readonly<Record<BinaryOp, number>> = { add: 0, sub: 1, mul: 2, div: 3, max: 4, min: 5, equal: 6 };

export const binary: KernelFn<WasmHandle, 'Binary'> = ({ a, b }, { op, plan }) => {
  const rt = a.runtime;
  const code = BINARY_OPS[op];
  if (code === undefined) throw new RangeError(`wasm Binary: op is '${String(op)}'; expected one of ${Object.keys(BINARY_OPS).join(', ')}`);
  const out = rt.alloc(plan.size);
  const frame = rt.frame([a.ptr, b.ptr, out.ptr, code, plan.same ? 1 : 0], plan.encoded);
  try {
    rt.run('binary', frame, Math.ceil(plan.size / CHUNK), { work: plan.size });
  } finally {
    rt.release(frame);
  }
  return out;
};
