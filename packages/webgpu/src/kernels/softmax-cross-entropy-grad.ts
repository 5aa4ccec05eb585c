import type { KernelFn } from '@stridenet/core';
import type { WebGpuHandle } from '../runtime.js';
import code from '../shaders/softmax-cross-entropy-grad.wgsl';

export const SoftmaxCrossEntropyGrad: KernelFn<WebGpuHandle, 'SoftmaxCrossEntropyGrad'> = ({ dloss, logits, labels }, { plan }) => {
  const rt = logits.runtime;
  const dlogits = rt.acquire(plan.rows * plan.cols);
  rt.dispatch({
    shader: 'softmax-cross-entropy-grad',
    code,
    ints: plan.encoded,
    inputs: [dloss.buffer, logits.buffer, labels.buffer],
    outputs: [dlogits.buffer],
    workgroups: rt.itemGrid(plan.rows),
  });
  return dlogits;
};
