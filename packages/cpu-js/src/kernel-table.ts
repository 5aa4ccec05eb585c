import type { KernelTable } from '@stridenet/core';
import { AdamUpdate } from './kernels/adam-update.js';
import { AvgPool2D } from './kernels/avg-pool2d.js';
import { AvgPool2DGrad } from './kernels/avg-pool2d-grad.js';
import { BatchNormGrad } from './kernels/batch-norm-grad.js';
import { BatchNormInference } from './kernels/batch-norm-inference.js';
import { BatchNormTrain } from './kernels/batch-norm-train.js';
import { BiasAdd } from './kernels/bias-add.js';
import { BiasAddGrad } from './kernels/bias-add-grad.js';
import { Binary } from './kernels/binary.js';
import { Concat } from './kernels/concat.js';
import { Conv2D } from './kernels/conv2d.js';
import { Conv2DBackpropFilter } from './kernels/conv2d-backprop-filter.js';
import { Conv2DBackpropInput } from './kernels/conv2d-backprop-input.js';
import { Dropout } from './kernels/dropout.js';
import { MatMul } from './kernels/mat-mul.js';
import { MaxPool2D } from './kernels/max-pool2d.js';
import { MaxPool2DGrad } from './kernels/max-pool2d-grad.js';
import { Pad } from './kernels/pad.js';
import { Reduce } from './kernels/reduce.js';
import { SgdUpdate } from './kernels/sgd-update.js';
import { Slice } from './kernels/slice.js';
import { Softmax } from './kernels/softmax.js';
import { SoftmaxCrossEntropy } from './kernels/softmax-cross-entropy.js';
import { SoftmaxCrossEntropyGrad } from './kernels/softmax-cross-entropy-grad.js';
import { Transpose } from './kernels/transpose.js';
import { Unary } from './kernels/unary.js';
import { UnaryGrad } from './kernels/unary-grad.js';

export const kernels = {
  Conv2D,
  Conv2DBackpropInput,
  Conv2DBackpropFilter,
  MaxPool2D,
  MaxPool2DGrad,
  AvgPool2D,
  AvgPool2DGrad,
  MatMul,
  BiasAdd,
  BiasAddGrad,
  Binary,
  Unary,
  UnaryGrad,
  Reduce,
  Softmax,
  SoftmaxCrossEntropy,
  SoftmaxCrossEntropyGrad,
  BatchNormTrain,
  BatchNormInference,
  BatchNormGrad,
  Dropout,
  Concat,
  Slice,
  Transpose,
  Pad,
  SgdUpdate,
  AdamUpdate,
} satisfies KernelTable<Float32Array>;
