import type { KernelFn } from '@stridenet/core';
import { alloc } from '../buffers.js';
import { rowLogSumExp } from './softmax.js';

/** Per-row -sum(labels * logSoftmax(logits)); labels may be any distribution (one-hot, smoothed). */
export const SoftmaxCrossEntropy: KernelFn<Float32Array, 'SoftmaxCrossEntropy'> = ({ logits, labels }, { plan }) => {
  const { rows, cols } = plan;
  const loss = alloc(rows);
  for (let r = 0; r < rows; r++) {
    const at = r * cols;
    const [max, lse] = rowLogSumExp(logits, at, cols);
    let s = 0;
    for (let j = 0; j < cols; j++) s -= labels[at + j]! * (logits[at + j]! - max - lse);
    loss[r] = s;
  }
  return loss;
};
