import type { KernelTable } from '@stridenet/core';
import type { WebGpuHandle } from '../runtime.js';
import { AdamUpdate } from './adam-update.js';
import { AvgPool2D } from './avg-pool2d.js';
import { AvgPool2DGrad } from './avg-pool2d-grad.js';
import { BatchNormGrad } from './batch-norm-grad.js';
import { BatchNormInference } from './batch-norm-inference.js';
import { BatchNormTrain } from './batch-norm-train.js';
import { BiasAdd } from './bias-add.js';
import { BiasAddGrad } from './bias-add-grad.js';
import { Binary } from './binary.js';
import { Concat } from './concat.js';
import { Conv2D } from './conv2d.js';
import { Conv2DBackpropFilter } from './conv2d-backprop-filter.js';
import { Conv2DBackpropInput } from './conv2d-backprop-input.js';
import { Dropout } from './dropout.js';
import { Expand } from './expand.js';
import { MatMul } from './mat-mul.js';
import { MaxPool2D } from './max-pool2d.js';
import { MaxPool2DGrad } from './max-pool2d-grad.js';
import { Pad } from './pad.js';
import { Reduce } from './reduce.js';
import { SgdUpdate } from './sgd-update.js';
import { Slice } from './slice.js';
import { Softmax } from './softmax.js';
import { SoftmaxCrossEntropy } from './softmax-cross-entropy.js';
import { SoftmaxCrossEntropyGrad } from './softmax-cross-entropy-grad.js';
import { Transpose } from './transpose.js';
import { Unary } from './unary.js';
import { UnaryGrad } from './unary-grad.js';

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
  Expand,
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
} satisfies KernelTable<WebGpuHandle>;
