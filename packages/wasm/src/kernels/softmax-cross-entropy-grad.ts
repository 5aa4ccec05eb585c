import type { KernelFn } from '@stridenet/core';
import type { WasmHandle } from '../runtime.js';
import { launch } from '../checks/call.js';
import { checkRowsPlan } from '../checks/plans.js';

/** One row per work unit. */
export const softmaxCrossEntropyGrad: KernelFn<WasmHandle, 'SoftmaxCrossEntropyGrad'> = (inputs, attrs) => {
  const plan = checkRowsPlan('SoftmaxCrossEntropyGrad', attrs);
  const size = plan.rows * plan.cols;
  return launch('SoftmaxCrossEntropyGrad', inputs, { dloss: plan.rows, logits: size, labels: size }, (k) => {
    const dlogits = k.output(size);
    const frame = k.frame([k.ptr.dloss, k.ptr.logits, k.ptr.labels, k.addr(dlogits)], plan.encoded);
    k.run('softmaxCrossEntropyGrad', frame, plan.rows, { work: size * 16 });
    return dlogits;
  });
};
