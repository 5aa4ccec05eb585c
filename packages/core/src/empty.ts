import { ShapeError } from './errors.js';
import type { KernelName } from './spec/index.js';

/**
 * What a kernel yields when an input or output has no elements (an empty batch, PyTorch's rule), so
 * that no backend is ever called with a zero-size buffer or dispatch (engine.runKernel decides here
 * before calling one). Empty outputs need no values; a non-empty output computed from empty inputs
 * is a constant: 0 for sums over no terms (filter and bias gradients, a matrix product with inner
 * dimension 0, Reduce 'sum', the batch-norm parameter gradients), NaN for a mean of nothing
 * (Reduce 'mean', as torch.mean), the pad value for padding. Anything else is a ShapeError: the max
 * of nothing (as torch.max), batch-norm training statistics, a fused bias over k = 0, concatenating
 * empty with non-empty tensors.
 */
export function emptyFill(kernel: KernelName, attrs: Record<string, unknown>, inputs: Record<string, unknown>, output: number): number {
  switch (kernel) {
    case 'Conv2DBackpropFilter':
    case 'BiasAddGrad':
      return 0;
    case 'BatchNormGrad':
      // [dx, dgamma, dbeta]: dx is empty with x; the parameter gradients are sums over no example.
      if (output > 0) return 0;
      break;
    case 'MatMul':
      // A fused bias would make every row the bias, which needs the bias values on the host.
      if (inputs.bias === undefined) return 0;
      break;
    case 'Reduce':
      if (attrs.op === 'sum') return 0;
      if (attrs.op === 'mean') return NaN;
      throw new ShapeError('max', 'reduced axes', 0, 'at least one element to take the maximum of (as torch.max)');
    case 'Pad':
      return attrs.value as number;
    case 'BatchNormTrain':
      throw new ShapeError('batchNorm', 'input', 'an empty batch', 'at least one example in training (batch statistics of nothing are undefined); inference takes an empty batch');
    default:
  }
  throw new ShapeError(kernel, 'input', 'empty', 'non-empty inputs where the output is not empty (no result is defined for them)');
}
