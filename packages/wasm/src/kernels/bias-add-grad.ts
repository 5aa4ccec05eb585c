import type { KernelFn } from '@stridenet/core';
import type { WasmHandle } from '../runtime.js';

/** One channel per work unit. */
export const biasAddGrad: KernelFn<WasmHandle, 'BiasAddGrad'> = ({ dy }, { plan }) => {
  const rt = dy.runtime;
  const db = rt.alloc(plan.channels);
  const frame = rt.frame([dy.ptr, db.ptr], plan.encoded);
  try {
    rt.run('biasAddGrad', frame, plan.channels, { work: plan.outer * plan.channels * plan.inner });
  } finally {
    rt.release(frame);
  }
  return db;
};
