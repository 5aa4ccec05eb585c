import type { KernelFn, ReduceOp } from '@stridenet/core';
import type { WasmHandle } from '../runtime.js';

const REDUCE_OPS: Readonly<Record<ReduceOp, number>> = { sum: 0, mean: 1, max: 2 };

/** One outer index per work unit. */
export const reduce: KernelFn<WasmHandle, 'Reduce'> = ({ x }, { op, plan }) => {
  const rt = x.runtime;
  const code = REDUCE_OPS[op];
  if (code === undefined) throw new RangeError(`wasm Reduce: op is '${String(op)}'; expected sum, mean or max`);
  const y = rt.alloc(plan.outer * plan.inner);
  const frame = rt.frame([x.ptr, y.ptr, code], plan.encoded);
  try {
    rt.run('reduce', frame, plan.outer, { work: plan.outer * plan.reduce * plan.inner });
  } finally {
    rt.release(frame);
  }
  return y;
};
