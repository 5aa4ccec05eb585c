import type { KernelFn } from '@stridenet/core';
import { addon, one } from '../addon.js';
import type { NativeHandle } from '../handle.js';

/** Gradient of the per-row cross-entropy. C++: src/native/kernels/softmax-cross-entropy-grad.cc. */
export const SoftmaxCrossEntropyGrad: KernelFn<NativeHandle, 'SoftmaxCrossEntropyGrad'> = ({ dloss, logits, labels }, { plan }) =>
  one('SoftmaxCrossEntropyGrad', addon().run('SoftmaxCrossEntropyGrad', [dloss, logits, labels], plan.encoded, []));
