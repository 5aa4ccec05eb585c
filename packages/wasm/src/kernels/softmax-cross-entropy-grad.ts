import type { KernelFn } from '@stridenet/core';
import type { WasmHandle } from '../runtime.js';

/** One row per work unit. */
export const softmaxCrossEntropyGrad: KernelFn<WasmHandle, 'SoftmaxCrossEntropyGrad'> = ({ dloss, logits, labels }, { plan }) => {
  const rt = logits.runtime;
  const dlogits = rt.alloc(plan.rows * plan.cols);
  const frame = rt.frame([dloss.ptr, logits.ptr, labels.ptr, dlogits.ptr], plan.encoded);
  try {
    rt.run('softmaxCrossEntropyGrad', frame, plan.rows, { work: plan.rows * plan.cols * 16 });
  } finally {
    rt.release(frame);
  }
  return dlogits;
};
