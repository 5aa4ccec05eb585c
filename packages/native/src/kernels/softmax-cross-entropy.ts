import type { KernelFn } from '@stridenet/core';
import { addon, one } from '../addon.js';
import type { NativeHandle } from '../handle.js';

/** Per-row cross-entropy against label distributions. C++: src/native/kernels/softmax-cross-entropy.cc. */
export const SoftmaxCrossEntropy: KernelFn<NativeHandle, 'SoftmaxCrossEntropy'> = ({ logits, labels }, { plan }) =>
  one('SoftmaxCrossEntropy', addon().run('SoftmaxCrossEntropy', [logits, labels], plan.encoded, []));
