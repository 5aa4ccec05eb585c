import type { KernelFn } from '@stridenet/core';
import type { WebGpuHandle } from '../runtime.js';
import code from '../shaders/softmax-cross-entropy.wgsl';

/** Per-row loss; one 64-thread workgroup per row. */
export const SoftmaxCrossEntropy: KernelFn<WebGpuHandle, 'SoftmaxCrossEntropy'> = ({ logits, labels }, { plan }) => {
  const rt = logits.runtime;
  const loss = rt.acquire(plan.rows);
  rt.dispatch({
    shader: 'softmax-cross-entropy',
    code,
    ints: plan.encoded,
    inputs: [logits.buffer, labels.buffer],
    outputs: [loss.buffer],
    workgroups: rt.itemGrid(plan.rows),
  });
  return loss;
};
