import type { KernelFn } from '@stridenet/core';
import { alloc } from '../buffers.js';
import { rowLogSumExp } from './softmax.js';

/**
 * d/dlogits of -sum(l * logSoftmax(z)) is softmax(z) * sum(l) - l, scaled by the row's incoming
 * gradient. For distributions (sum(l) = 1) this is the familiar softmax - labels.
 */
export const SoftmaxCrossEntropyGrad: KernelFn<Float32Array, 'SoftmaxCrossEntropyGrad'> = ({ dloss, logits, labels }, { plan }) => {
  const { rows, cols } = plan;
  const dz = alloc(rows * cols);
  for (let r = 0; r < rows; r++) {
    const at = r * cols;
    const [max, lse] = rowLogSumExp(logits, at, cols);
    let total = 0;
    for (let j = 0; j < cols; j++) total += labels[at + j]!;
    const g = dloss[r]!;
    for (let j = 0; j < cols; j++) dz[at + j] = g * (Math.exp(logits[at + j]! - max - lse) * total - labels[at + j]!);
  }
  return dz;
};
