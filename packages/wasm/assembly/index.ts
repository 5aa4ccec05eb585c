// The module's exports: every kernel with the (frame, u0, u1, scratch) signature, plus heapBase.
export { conv2d, conv2dPackFilter, conv2dWinograd, conv2dWinogradFilter } from './kernels/conv2d';
export { conv2dBackpropInput, conv2dBackpropInputPackFilter } from './kernels/conv2d-backprop-input';
export { conv2dBackpropFilter } from './kernels/conv2d-backprop-filter';
export { maxPool2d } from './kernels/max-pool2d';
export { maxPool2dGrad } from './kernels/max-pool2d-grad';
export { avgPool2d } from './kernels/avg-pool2d';
export { avgPool2dGrad } from './kernels/avg-pool2d-grad';
export { matMul, matMulPackA } from './kernels/mat-mul';
export { biasAdd } from './kernels/bias-add';
export { biasAddGrad } from './kernels/bias-add-grad';
export { binary } from './kernels/binary';
export { expand } from './kernels/expand';
export { unary } from './kernels/unary';
export { unaryGrad } from './kernels/unary-grad';
export { reduce } from './kernels/reduce';
export { softmax } from './kernels/softmax';
export { softmaxCrossEntropy } from './kernels/softmax-cross-entropy';
export { softmaxCrossEntropyGrad } from './kernels/softmax-cross-entropy-grad';
export { batchNormTrain } from './kernels/batch-norm-train';
export { batchNormInference } from './kernels/batch-norm-inference';
export { batchNormGrad } from './kernels/batch-norm-grad';
export { dropout } from './kernels/dropout';
export { concat } from './kernels/concat';
export { slice } from './kernels/slice';
export { transpose } from './kernels/transpose';
export { pad } from './kernels/pad';
export { sgdUpdate } from './kernels/sgd-update';
export { adamUpdate } from './kernels/adam-update';

/** First byte the TypeScript allocator may hand out (after static data). */
export function heapBase(): usize {
  return __heap_base;
}
