import type { KernelFn } from '@stridenet/core';
import type { WasmHandle } from '../runtime.js';
import { launch } from '../checks/call.js';
import { checkRowsPlan } from '../checks/plans.js';

/** One row per work unit; returns the per-row loss [rows]. */
export const softmaxCrossEntropy: KernelFn<WasmHandle, 'SoftmaxCrossEntropy'> = (inputs, attrs) => {
  const plan = checkRowsPlan('SoftmaxCrossEntropy', attrs);
  const size = plan.rows * plan.cols;
  return launch('SoftmaxCrossEntropy', inputs, { logits: size, labels: size }, (k) => {
    const loss = k.output(plan.rows);
    const frame = k.frame([k.ptr.logits, k.ptr.labels, k.addr(loss)], plan.encoded);
    k.run('softmaxCrossEntropy', frame, plan.rows, { work: size * 8 });
    return loss;
  });
};
