import type { KernelTable } from '@stridenet/core';
import type { WasmHandle } from '../runtime.js';
import { adamUpdate } from './adam-update.js';
import { avgPool2d } from './avg-pool2d.js';
import { avgPool2dGrad } from './avg-pool2d-grad.js';
import { batchNormGrad } from './batch-norm-grad.js';
import { batchNormInference } from './batch-norm-inference.js';
import { batchNormTrain } from './batch-norm-train.js';
import { biasAdd } from './bias-add.js';
import { biasAddGrad } from './bias-add-grad.js';
import { binary } from './binary.js';
import { concat } from './concat.js';
import { conv2d } from './conv2d.js';
import { conv2dBackpropFilter } from './conv2d-backprop-filter.js';
import { conv2dBackpropInput } from './conv2d-backprop-input.js';
import { dropout } from './dropout.js';
import { expand } from './expand.js';
import { matMul } from './mat-mul.js';
import { maxPool2d } from './max-pool2d.js';
import { maxPool2dGrad } from './max-pool2d-grad.js';
import { pad } from './pad.js';
import { reduce } from './reduce.js';
import { sgdUpdate } from './sgd-update.js';
import { slice } from './slice.js';
import { softmax } from './softmax.js';
import { softmaxCrossEntropy } from './softmax-cross-entropy.js';
import { softmaxCrossEntropyGrad } from './softmax-cross-entropy-grad.js';
import { transpose } from './transpose.js';
import { unary } from './unary.js';
import { unaryGrad } from './unary-grad.js';

/** Every kernel of the core contract; each handle carries the runtime it lives in. */
export const kernels = {
  Conv2D: conv2d,
  Conv2DBackpropInput: conv2dBackpropInput,
  Conv2DBackpropFilter: conv2dBackpropFilter,
  MaxPool2D: maxPool2d,
  MaxPool2DGrad: maxPool2dGrad,
  AvgPool2D: avgPool2d,
  AvgPool2DGrad: avgPool2dGrad,
  MatMul: matMul,
  BiasAdd: biasAdd,
  BiasAddGrad: biasAddGrad,
  Binary: binary,
  Expand: expand,
  Unary: unary,
  UnaryGrad: unaryGrad,
  Reduce: reduce,
  Softmax: softmax,
  SoftmaxCrossEntropy: softmaxCrossEntropy,
  SoftmaxCrossEntropyGrad: softmaxCrossEntropyGrad,
  BatchNormTrain: batchNormTrain,
  BatchNormInference: batchNormInference,
  BatchNormGrad: batchNormGrad,
  Dropout: dropout,
  Concat: concat,
  Slice: slice,
  Transpose: transpose,
  Pad: pad,
  SgdUpdate: sgdUpdate,
  AdamUpdate: adamUpdate,
} satisfies KernelTable<WasmHandle>;
