import type { KernelFn } from '@stridenet/core';
import type { WasmHandle } from '../runtime.js';

/** One row per work unit; returns the per-row loss [rows]. */
export const softmaxCrossEntropy: KernelFn<WasmHandle, 'SoftmaxCrossEntropy'> = ({ logits, labels }, { plan }) => {
  const rt = logits.runtime;
  const loss = rt.alloc(plan.rows);
  const frame = rt.frame([logits.ptr, labels.ptr, loss.ptr], plan.encoded);
  try {
    rt.run('softmaxCrossEntropy', frame, plan.rows, { work: plan.rows * plan.cols * 8 });
  } finally {
    rt.release(frame);
  }
  return loss;
};
