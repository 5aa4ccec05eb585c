import type { CaseBase } from './types.js';

/** Ops whose gradients core's autograd composes; each case is checked by finite differences through the ops. */
export type GradOpName =
  | 'conv2d'
  | 'conv1d'
  | 'maxPool2d'
  | 'maxPool1d'
  | 'avgPool2d'
  | 'matMul'
  | 'biasAdd'
  | 'add'
  | 'sub'
  | 'mul'
  | 'div'
  | 'maximum'
  | 'minimum'
  | 'relu'
  | 'leakyRelu'
  | 'elu'
  | 'sigmoid'
  | 'tanh'
  | 'exp'
  | 'log'
  | 'sqrt'
  | 'neg'
  | 'square'
  | 'sum'
  | 'mean'
  | 'max'
  | 'softmax'
  | 'logSoftmax'
  | 'softmaxCrossEntropy'
  | 'batchNorm'
  | 'concat'
  | 'slice'
  | 'transpose'
  | 'pad'
  | 'reshape';

export interface AutogradCase extends CaseBase {
  readonly op: GradOpName;
  /** Shapes of the tensor arguments, in the op's order (conv2d: x, filter, bias). */
  readonly shapes: readonly (readonly number[])[];
  /** Plain arguments after the tensors. */
  readonly args: readonly unknown[];
  /**
   * Value distribution per input: 'uniform' [-1, 1), 'positive' [0.5, 2), 'distinct' (tie-free, for
   * max), 'away' (|x| >= 0.05, for kinks at 0), 'labels' (one-hot rows; held constant).
   */
  readonly values?: readonly ('uniform' | 'positive' | 'distinct' | 'away' | 'labels')[];
  /** Finite-difference step (default 1e-3). */
  readonly h?: number;
}

export const autogradCases: readonly AutogradCase[] = [
  { name: 'conv2d, bias, stride 2, padding 1', op: 'conv2d', shapes: [[2, 3, 7, 7], [4, 3, 3, 3], [4]], args: [{ stride: 2, padding: 1 }] },
  { name: 'conv2d, fused relu, groups 2, dilation 2', op: 'conv2d', shapes: [[1, 4, 7, 7], [4, 2, 2, 2], [4]], args: [{ groups: 2, dilation: 2, activation: 'relu' }], h: 1e-4 },
  { name: "conv1d, 'same', stride 1", op: 'conv1d', shapes: [[2, 3, 11], [4, 3, 3]], args: [{ padding: 'same' }] },
  { name: 'maxPool2d, ceil mode, padding 1', op: 'maxPool2d', shapes: [[1, 2, 7, 8]], args: [{ window: 3, stride: 2, padding: 1, ceilMode: true }], values: ['distinct'], h: 2e-3 },
  { name: 'maxPool2d, 2x2 stride 2 (windows that do not overlap)', op: 'maxPool2d', shapes: [[2, 3, 6, 8]], args: [{ window: 2 }], values: ['distinct'], h: 2e-3 },
  { name: 'maxPool1d, window 3 stride 2 padding 1', op: 'maxPool1d', shapes: [[2, 3, 13]], args: [{ window: 3, stride: 2, padding: 1 }], values: ['distinct'], h: 2e-3 },
  { name: 'avgPool2d, padded cells not counted', op: 'avgPool2d', shapes: [[2, 2, 7, 7]], args: [{ window: 3, stride: 2, padding: 1, countIncludePad: false }] },
  { name: 'matMul transposeA, bias, relu', op: 'matMul', shapes: [[6, 5], [6, 4], [4]], args: [{ transposeA: true, activation: 'relu' }], h: 1e-4 },
  { name: 'matMul transposeB', op: 'matMul', shapes: [[3, 7], [5, 7]], args: [{ transposeB: true }] },
  { name: 'biasAdd NCHW', op: 'biasAdd', shapes: [[2, 3, 4, 4], [3]], args: [] },
  { name: 'add, broadcast [2,3,4] + [3,1]', op: 'add', shapes: [[2, 3, 4], [3, 1]], args: [] },
  { name: 'sub, broadcast [1] - [2,5]', op: 'sub', shapes: [[1], [2, 5]], args: [] },
  { name: 'mul, broadcast both ways [4,1,5] * [1,3,1]', op: 'mul', shapes: [[4, 1, 5], [1, 3, 1]], args: [] },
  { name: 'div, broadcast [2,3] / [3]', op: 'div', shapes: [[2, 3], [3]], args: [], values: ['uniform', 'positive'] },
  { name: 'maximum, same shape', op: 'maximum', shapes: [[3, 5], [3, 5]], args: [], values: ['distinct', 'distinct'] },
  { name: 'minimum, same shape', op: 'minimum', shapes: [[3, 5], [3, 5]], args: [], values: ['distinct', 'distinct'] },
  { name: 'relu', op: 'relu', shapes: [[4, 9]], args: [], values: ['away'] },
  { name: 'leakyRelu 0.2', op: 'leakyRelu', shapes: [[4, 9]], args: [0.2], values: ['away'] },
  { name: 'elu 0.5', op: 'elu', shapes: [[4, 9]], args: [0.5], values: ['away'] },
  { name: 'sigmoid', op: 'sigmoid', shapes: [[4, 9]], args: [] },
  { name: 'tanh', op: 'tanh', shapes: [[4, 9]], args: [] },
  { name: 'exp', op: 'exp', shapes: [[4, 9]], args: [] },
  { name: 'log', op: 'log', shapes: [[4, 9]], args: [], values: ['positive'] },
  { name: 'sqrt', op: 'sqrt', shapes: [[4, 9]], args: [], values: ['positive'] },
  { name: 'neg', op: 'neg', shapes: [[4, 9]], args: [] },
  { name: 'square', op: 'square', shapes: [[4, 9]], args: [] },
  { name: 'sum over axes [0,2], keepDims', op: 'sum', shapes: [[3, 4, 5]], args: [[0, 2], true] },
  { name: 'mean over axis 1', op: 'mean', shapes: [[3, 4, 5]], args: [1] },
  { name: 'max over the last axis', op: 'max', shapes: [[3, 4, 5]], args: [-1], values: ['distinct'] },
  { name: 'softmax [3,6]', op: 'softmax', shapes: [[3, 6]], args: [] },
  { name: 'logSoftmax [3,6]', op: 'logSoftmax', shapes: [[3, 6]], args: [] },
  { name: 'softmaxCrossEntropy (mean) one-hot', op: 'softmaxCrossEntropy', shapes: [[5, 4], [5, 4]], args: [], values: ['uniform', 'labels'] },
  { name: 'batchNorm training NCHW', op: 'batchNorm', shapes: [[3, 2, 3, 3], [2], [2]], args: [{ training: true }] },
  { name: 'batchNorm training 2D', op: 'batchNorm', shapes: [[6, 4], [4], [4]], args: [{ training: true, epsilon: 1e-3 }] },
  // The fused epilogue act(bn(x) + residual): relu alone masks dy inside BatchNormGrad; with a residual
  // (a fourth tensor) its gradient is the masked dy.
  { name: 'batchNorm training relu NCHW', op: 'batchNorm', shapes: [[3, 2, 3, 3], [2], [2]], args: [{ training: true, activation: 'relu' }] },
  { name: 'batchNorm training residual relu NCHW', op: 'batchNorm', shapes: [[3, 2, 3, 3], [2], [2], [3, 2, 3, 3]], args: [{ training: true, activation: 'relu' }] },
  { name: 'batchNorm training residual 2D', op: 'batchNorm', shapes: [[6, 4], [4], [4], [6, 4]], args: [{ training: true }] },
  { name: 'concat on channels', op: 'concat', shapes: [[2, 1, 3], [2, 2, 3]], args: [1] },
  { name: 'slice', op: 'slice', shapes: [[4, 5]], args: [[1, 1], [2, -1]] },
  { name: 'transpose NCHW to NHWC', op: 'transpose', shapes: [[2, 3, 2, 2]], args: [[0, 2, 3, 1]] },
  { name: 'pad', op: 'pad', shapes: [[2, 3]], args: [[[1, 0], [2, 1]], 0.5] },
  { name: 'reshape', op: 'reshape', shapes: [[2, 6]], args: [[3, 4]] },
];
