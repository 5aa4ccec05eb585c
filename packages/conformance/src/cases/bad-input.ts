import type { CaseBase } from './types.js';

/** Plan builders a bad-input case may call (each validates in core before any kernel runs). */
export type PlanBuilderName =
  | 'planConv2d'
  | 'planPool2d'
  | 'planMatMul'
  | 'planBroadcast'
  | 'planExpand'
  | 'planChannel'
  | 'planRows'
  | 'planTranspose'
  | 'planSlice'
  | 'planPad'
  | 'planConcat'
  | 'planTensorList';

export interface BadInputCase extends CaseBase {
  /** The operation whose argument is wrong (capability-matrix row). */
  readonly op: string;
  readonly call: { readonly builder: PlanBuilderName; readonly args: readonly unknown[] };
  readonly error: 'ShapeError' | 'ArgumentError';
  /** The exact message: it names the argument, its value and what was expected, on every backend. */
  readonly message: string;
}

const NCHW = '[batch, channels, height, width]';

export const badInputCases: readonly BadInputCase[] = [
  {
    name: 'conv2d: input of rank 3',
    op: 'conv2d',
    call: { builder: 'planConv2d', args: [[1, 3, 5], [2, 3, 3, 3]] },
    error: 'ShapeError',
    message: `conv2d: input shape is [1,3,5] but expected rank 4 ${NCHW}`,
  },
  {
    name: 'conv2d: filter of rank 2',
    op: 'conv2d',
    call: { builder: 'planConv2d', args: [[1, 3, 5, 5], [2, 27]] },
    error: 'ShapeError',
    message: 'conv2d: filter shape is [2,27] but expected rank 4 [outChannels, inChannels/groups, kernelHeight, kernelWidth]',
  },
  {
    name: 'conv2d: input channels do not match the filter',
    op: 'conv2d',
    call: { builder: 'planConv2d', args: [[1, 3, 5, 5], [2, 1, 3, 3]] },
    error: 'ShapeError',
    message: 'conv2d: input channels is 3 but expected 1 as the filter expects (filter shape [2,1,3,3], groups 1)',
  },
  {
    name: 'conv2d: zero stride',
    op: 'conv2d',
    call: { builder: 'planConv2d', args: [[1, 1, 5, 5], [1, 1, 3, 3], { stride: 0 }] },
    error: 'ArgumentError',
    message: 'conv2d: stride is 0 but expected a positive integer or a pair of positive integers',
  },
  {
    name: 'conv2d: negative stride in a pair',
    op: 'conv2d',
    call: { builder: 'planConv2d', args: [[1, 1, 5, 5], [1, 1, 3, 3], { stride: [1, -2] }] },
    error: 'ArgumentError',
    message: 'conv2d: stride is [1,-2] but expected a positive integer or a pair of positive integers',
  },
  {
    name: 'conv2d: zero dilation',
    op: 'conv2d',
    call: { builder: 'planConv2d', args: [[1, 1, 5, 5], [1, 1, 3, 3], { dilation: 0 }] },
    error: 'ArgumentError',
    message: 'conv2d: dilation is 0 but expected a positive integer or a pair of positive integers',
  },
  {
    name: 'conv2d: window larger than the padded input',
    op: 'conv2d',
    call: { builder: 'planConv2d', args: [[1, 1, 4, 4], [1, 1, 5, 5]] },
    error: 'ShapeError',
    message: 'conv2d: filter window is [5,5] but expected at most the padded input 4x4 (kernel 5x5, dilation 1x1)',
  },
  {
    name: 'conv2d: dilated window larger than the padded input',
    op: 'conv2d',
    call: { builder: 'planConv2d', args: [[1, 1, 4, 4], [1, 1, 3, 3], { dilation: 3, padding: 1 }] },
    error: 'ShapeError',
    message: 'conv2d: filter window is [7,7] but expected at most the padded input 6x6 (kernel 3x3, dilation 3x3)',
  },
  {
    // An empty batch is valid (suites/empty.ts); an empty spatial axis is not (PyTorch: no output size).
    name: 'conv2d: zero-sized height',
    op: 'conv2d',
    call: { builder: 'planConv2d', args: [[1, 1, 0, 5], [1, 1, 3, 3]] },
    error: 'ShapeError',
    message: `conv2d: input shape is [1,1,0,5] but expected every dimension but the batch >= 1 ${NCHW} (got a zero-sized dimension)`,
  },
  {
    name: 'conv2d: groups not dividing the input channels',
    op: 'conv2d',
    call: { builder: 'planConv2d', args: [[1, 3, 5, 5], [2, 1, 3, 3], { groups: 2 }] },
    error: 'ArgumentError',
    message: "conv2d: groups is 2 but expected a divisor of the input's 3 channels",
  },
  {
    name: 'conv2d: negative padding',
    op: 'conv2d',
    call: { builder: 'planConv2d', args: [[1, 1, 5, 5], [1, 1, 3, 3], { padding: -1 }] },
    error: 'ArgumentError',
    message: "conv2d: padding is -1 but expected 'valid', 'same' or non-negative integers",
  },
  {
    name: 'pool2d: input of rank 2',
    op: 'pool2d',
    call: { builder: 'planPool2d', args: [[4, 4], { window: 2 }] },
    error: 'ShapeError',
    message: `pool2d: input shape is [4,4] but expected rank 4 ${NCHW}`,
  },
  {
    name: 'pool2d: zero stride',
    op: 'pool2d',
    call: { builder: 'planPool2d', args: [[1, 1, 4, 4], { window: 2, stride: 0 }] },
    error: 'ArgumentError',
    message: 'pool2d: stride is 0 but expected a positive integer or a pair of positive integers',
  },
  {
    name: 'pool2d: zero window',
    op: 'pool2d',
    call: { builder: 'planPool2d', args: [[1, 1, 4, 4], { window: 0 }] },
    error: 'ArgumentError',
    message: 'pool2d: window is 0 but expected a positive integer or a pair of positive integers',
  },
  {
    name: 'pool2d: window larger than the padded input',
    op: 'pool2d',
    call: { builder: 'planPool2d', args: [[1, 1, 3, 3], { window: 5, padding: 0 }] },
    error: 'ShapeError',
    message: 'pool2d: window is [5,5] but expected at most the padded input 3x3',
  },
  {
    name: 'pool2d: padding more than half the window',
    op: 'pool2d',
    call: { builder: 'planPool2d', args: [[1, 1, 6, 6], { window: 3, padding: 2 }] },
    error: 'ArgumentError',
    message: 'pool2d: padding is 2 but expected at most half the window (1 vertically, 1 horizontally for window 3x3)',
  },
  {
    name: 'pool2d: zero channels',
    op: 'pool2d',
    call: { builder: 'planPool2d', args: [[2, 0, 4, 4], { window: 2 }] },
    error: 'ShapeError',
    message: `pool2d: input shape is [2,0,4,4] but expected every dimension but the batch >= 1 ${NCHW} (got a zero-sized dimension)`,
  },
  {
    name: 'matMul: inner dimensions differ',
    op: 'matMul',
    call: { builder: 'planMatMul', args: [[2, 3], [4, 5]] },
    error: 'ShapeError',
    message: 'matMul: b shape is [4,5] but expected inner dimension 3 to match a shape [2,3] (transposeA false, transposeB false)',
  },
  {
    name: 'matMul: a of rank 3',
    op: 'matMul',
    call: { builder: 'planMatMul', args: [[2, 3, 4], [4, 5]] },
    error: 'ShapeError',
    message: 'matMul: a shape is [2,3,4] but expected rank 2 with non-negative dimensions',
  },
  {
    name: 'add: shapes that do not broadcast',
    op: 'add',
    call: { builder: 'planBroadcast', args: ['add', [2, 3], [4]] },
    error: 'ShapeError',
    message: 'add: b shape is [4] but expected a shape broadcastable with a shape [2,3] (axis 1: 3 vs 4)',
  },
  {
    name: 'mul: rank 7 is beyond the maximum',
    op: 'mul',
    call: { builder: 'planBroadcast', args: ['mul', [1, 1, 1, 1, 1, 1, 2], [2]] },
    error: 'ShapeError',
    message: 'mul: rank is 7 but expected at most 6',
  },
  {
    name: 'broadcastTo: input axis neither 1 nor the target size',
    op: 'broadcastTo',
    call: { builder: 'planExpand', args: ['broadcastTo', [3, 2], [4, 3, 5]] },
    error: 'ShapeError',
    message: 'broadcastTo: shape is [4,3,5] but expected input shape [3,2] to broadcast to it (axis 2: 2 vs 5)',
  },
  {
    name: 'broadcastTo: fewer axes than the input',
    op: 'broadcastTo',
    call: { builder: 'planExpand', args: ['broadcastTo', [2, 3], [3]] },
    error: 'ShapeError',
    message: "broadcastTo: shape is [3] but expected at least the input's 2 axes (input shape [2,3])",
  },
  {
    name: 'broadcastTo: negative target axis',
    op: 'broadcastTo',
    call: { builder: 'planExpand', args: ['broadcastTo', [1], [2, -3]] },
    error: 'ShapeError',
    message: 'broadcastTo: shape is [2,-3] but expected every dimension a non-negative integer',
  },
  {
    name: 'batchNorm: gamma length does not match the channels',
    op: 'batchNorm',
    call: { builder: 'planChannel', args: ['batchNorm', [2, 3, 4, 4], 4, 'gamma'] },
    error: 'ShapeError',
    message: 'batchNorm: input channels is 3 but expected 4 to match gamma (input shape [2,3,4,4])',
  },
  {
    name: 'softmax: zero-sized axis',
    op: 'softmax',
    call: { builder: 'planRows', args: ['softmax', [3, 0]] },
    error: 'ShapeError',
    message: 'softmax: input shape is [3,0] but expected rank >= 1 with a last dimension >= 1 (others >= 0)',
  },
  {
    name: 'transpose: perm is not a permutation',
    op: 'transpose',
    call: { builder: 'planTranspose', args: [[2, 3, 4], [0, 2, 2]] },
    error: 'ArgumentError',
    message: 'transpose: perm is [0,2,2] but expected a permutation of 0..2',
  },
  {
    name: 'slice: size runs past the end',
    op: 'slice',
    call: { builder: 'planSlice', args: [[4, 5], [1, 2], [2, 4]] },
    error: 'ArgumentError',
    message: 'slice: size[1] is 4 but expected 1 to 3 (or -1 for the rest)',
  },
  {
    name: 'pad: negative padding',
    op: 'pad',
    call: { builder: 'planPad', args: [[2, 2], [[0, 0], [1, -1]]] },
    error: 'ArgumentError',
    message: 'pad: paddings[1] is [1,-1] but expected two non-negative integers',
  },
  {
    name: 'concat: shapes differ off the axis',
    op: 'concat',
    call: { builder: 'planConcat', args: [[[2, 3], [2, 4]], 0] },
    error: 'ShapeError',
    message: 'concat: tensors[1] shape is [2,4] but expected [*,3] (equal except on axis 0)',
  },
  {
    name: 'concat: axis out of range',
    op: 'concat',
    call: { builder: 'planConcat', args: [[[2, 3], [2, 3]], 2] },
    error: 'ArgumentError',
    message: 'concat: axis is 2 but expected an integer in [-2, 1]',
  },
  {
    name: 'tensor list: no tensors',
    op: 'sgdUpdateMany',
    call: { builder: 'planTensorList', args: ['sgdUpdateMany', []] },
    error: 'ArgumentError',
    message: 'sgdUpdateMany: tensor count is 0 but expected at least one tensor',
  },
  {
    name: 'tensor list: an empty tensor',
    op: 'allFiniteFlag',
    call: { builder: 'planTensorList', args: ['allFiniteFlag', [3, 0]] },
    error: 'ArgumentError',
    message: 'allFiniteFlag: sizes[1] is 0 but expected a positive integer (empty tensors are left out by the caller)',
  },
];

/** Ops a bad-input case may call through core's public op API, on the active backend. */
export type OpName =
  | 'tensor'
  | 'conv2d'
  | 'maxPool2d'
  | 'avgPool2d'
  | 'add'
  | 'mul'
  | 'matMul'
  | 'softmaxCrossEntropy'
  | 'batchNorm'
  | 'concat'
  | 'reshape'
  | 'sgdUpdateMany'
  | 'adamUpdateMany'
  | 'maxPool2dGradArgmax';

export interface BadOpCase extends CaseBase {
  readonly op: OpName;
  /** Shapes of the tensor arguments (filled with zeros), passed first; `concat` gets them as one list. */
  readonly tensors: readonly (readonly number[])[];
  /** Further plain arguments after the tensors. */
  readonly args: readonly unknown[];
  readonly error: 'ShapeError' | 'ArgumentError';
  readonly message: string;
}

export const badOpCases: readonly BadOpCase[] = [
  {
    name: 'tensor: negative dimension',
    op: 'tensor',
    tensors: [],
    args: [[], [-1, 3, 4, 4]],
    error: 'ShapeError',
    message: 'tensor: shape is [-1,3,4,4] but expected an array of non-negative integers',
  },
  {
    name: 'conv2d: input channels do not match the filter',
    op: 'conv2d',
    tensors: [[1, 3, 5, 5], [2, 1, 3, 3]],
    args: [{}],
    error: 'ShapeError',
    message: 'conv2d: input channels is 3 but expected 1 as the filter expects (filter shape [2,1,3,3], groups 1)',
  },
  {
    name: 'conv2d: input of rank 3',
    op: 'conv2d',
    tensors: [[3, 5, 5], [2, 3, 3, 3]],
    args: [{}],
    error: 'ShapeError',
    message: `conv2d: input shape is [3,5,5] but expected rank 4 ${NCHW}`,
  },
  {
    name: 'conv2d: zero stride',
    op: 'conv2d',
    tensors: [[1, 1, 5, 5], [1, 1, 3, 3]],
    args: [{ stride: 0 }],
    error: 'ArgumentError',
    message: 'conv2d: stride is 0 but expected a positive integer or a pair of positive integers',
  },
  {
    name: 'conv2d: residual of the wrong shape',
    op: 'conv2d',
    tensors: [[1, 2, 5, 5], [3, 2, 3, 3], [1, 3, 3, 4]],
    args: [{}],
    error: 'ShapeError',
    message: 'conv2d: residual shape is [1,3,3,4] but expected [1,3,3,3] (the output shape)',
  },
  {
    name: 'conv2d: residual that is not a tensor',
    op: 'conv2d',
    tensors: [[1, 2, 5, 5], [3, 2, 3, 3]],
    args: [{ residual: [1, 2, 3] }],
    error: 'ArgumentError',
    message: 'conv2d: residual is [1,2,3] but expected a float32 Tensor',
  },
  {
    name: 'conv2d: unknown activation',
    op: 'conv2d',
    tensors: [[1, 1, 5, 5], [1, 1, 3, 3]],
    args: [{ activation: 'gelu' }],
    error: 'ArgumentError',
    message: "conv2d: activation is 'gelu' but expected 'linear' or 'relu'",
  },
  {
    name: 'maxPool2d: window larger than the padded input',
    op: 'maxPool2d',
    tensors: [[1, 1, 3, 3]],
    args: [{ window: 4 }],
    error: 'ShapeError',
    message: 'maxPool2d: window is [4,4] but expected at most the padded input 3x3',
  },
  {
    name: 'avgPool2d: negative stride',
    op: 'avgPool2d',
    tensors: [[1, 1, 4, 4]],
    args: [{ window: 2, stride: -1 }],
    error: 'ArgumentError',
    message: 'avgPool2d: stride is -1 but expected a positive integer or a pair of positive integers',
  },
  {
    name: 'add: shapes that do not broadcast',
    op: 'add',
    tensors: [[2, 3], [2, 4]],
    args: [],
    error: 'ShapeError',
    message: 'add: b shape is [2,4] but expected a shape broadcastable with a shape [2,3] (axis 1: 3 vs 4)',
  },
  {
    name: 'mul: shapes that do not broadcast',
    op: 'mul',
    tensors: [[4, 1, 5], [3, 2]],
    args: [],
    error: 'ShapeError',
    message: 'mul: b shape is [3,2] but expected a shape broadcastable with a shape [4,1,5] (axis 2: 5 vs 2)',
  },
  {
    name: 'matMul: inner dimensions differ',
    op: 'matMul',
    tensors: [[2, 3], [4, 5]],
    args: [{}],
    error: 'ShapeError',
    message: 'matMul: b shape is [4,5] but expected inner dimension 3 to match a shape [2,3] (transposeA false, transposeB false)',
  },
  {
    name: 'softmaxCrossEntropy: labels shape differs from the logits',
    op: 'softmaxCrossEntropy',
    tensors: [[4, 3], [4, 2]],
    args: [],
    error: 'ShapeError',
    message: 'softmaxCrossEntropy: labels shape is [4,2] but expected [4,3] like the logits (one-hot or probabilities)',
  },
  {
    name: 'batchNorm: gamma length does not match the channels',
    op: 'batchNorm',
    tensors: [[2, 3, 4, 4], [4], [4]],
    args: [{ training: true }],
    error: 'ShapeError',
    message: 'batchNorm: input channels is 3 but expected 4 to match gamma shape [4] (input shape [2,3,4,4])',
  },
  {
    name: 'batchNorm: residual of the wrong shape',
    op: 'batchNorm',
    tensors: [[2, 3, 4, 4], [3], [3], [2, 3, 4, 5]],
    args: [{ training: true, activation: 'relu' }],
    error: 'ShapeError',
    message: 'batchNorm: residual shape is [2,3,4,5] but expected [2,3,4,4] (the input shape)',
  },
  {
    name: 'batchNorm: unknown activation',
    op: 'batchNorm',
    tensors: [[2, 3], [3], [3]],
    args: [{ training: true, activation: 'gelu' }],
    error: 'ArgumentError',
    message: "batchNorm: activation is 'gelu' but expected 'linear' or 'relu'",
  },
  {
    name: 'batchNorm: running mean of the wrong length',
    op: 'batchNorm',
    tensors: [[2, 3, 4, 4], [3], [3], [4], [3]],
    args: [{ training: true }, { momentum: 0.1 }],
    error: 'ShapeError',
    message: 'batchNorm: running.mean shape is [4] but expected [3]',
  },
  {
    name: 'batchNorm: running momentum out of range',
    op: 'batchNorm',
    tensors: [[2, 3], [3], [3], [3], [3]],
    args: [{ training: true }, { momentum: 1.5 }],
    error: 'ArgumentError',
    message: 'batchNorm: running.momentum is 1.5 but expected a number in [0, 1]',
  },
  {
    name: 'batchNorm: running statistics from one value per channel',
    op: 'batchNorm',
    tensors: [[1, 3], [3], [3], [3], [3]],
    args: [{ training: true }, { momentum: 0.1 }],
    error: 'ShapeError',
    message: 'batchNorm: values per channel is 1 but expected at least 2 to update running statistics (the unbiased variance divides by count - 1)',
  },
  {
    name: 'concat: shapes differ off the axis',
    op: 'concat',
    tensors: [[2, 3], [2, 4]],
    args: [0],
    error: 'ShapeError',
    message: 'concat: tensors[1] shape is [2,4] but expected [*,3] (equal except on axis 0)',
  },
  {
    name: 'reshape: element count changes',
    op: 'reshape',
    tensors: [[2, 3]],
    args: [[4, 2]],
    error: 'ShapeError',
    message: 'reshape: shape is [4,2] but expected a shape of 6 elements (input [2,3])',
  },
  {
    name: 'sgdUpdateMany: one gradient short',
    op: 'sgdUpdateMany',
    // params, grads, velocities: the leading args say how many tensors each list takes.
    tensors: [[2, 3], [4], [2, 3], [2, 3], [4]],
    args: [2, 1],
    error: 'ArgumentError',
    message: 'sgdUpdateMany: grads.length is 1 but expected 2 (one per parameter)',
  },
  {
    name: 'sgdUpdateMany: a gradient shaped unlike its parameter',
    op: 'sgdUpdateMany',
    tensors: [[2, 3], [4], [2, 3], [5], [2, 3], [4]],
    args: [2, 2],
    error: 'ShapeError',
    message: 'sgdUpdateMany: grads[1] shape is [5] but expected [4] like params[1]',
  },
  {
    name: 'adamUpdateMany: one second moment short',
    op: 'adamUpdateMany',
    // params, grads, ms, vs.
    tensors: [[3], [2, 2], [3], [2, 2], [3], [2, 2], [3]],
    args: [2, 2, 2],
    error: 'ArgumentError',
    message: 'adamUpdateMany: vs.length is 1 but expected 2 (one per parameter)',
  },
  {
    name: 'adamUpdateMany: a first moment shaped unlike its parameter',
    op: 'adamUpdateMany',
    tensors: [[3], [2, 2], [3], [2, 2], [3], [4], [3], [2, 2]],
    args: [2, 2, 2],
    error: 'ShapeError',
    message: 'adamUpdateMany: ms[1] shape is [4] but expected [2,2] like params[1]',
  },
  // tensors: dy, argmax; args: the forward's input shape and options (its plan), or a plan-like object.
  {
    name: 'maxPool2dGradArgmax: argmax shaped unlike the output',
    op: 'maxPool2dGradArgmax',
    tensors: [[1, 2, 3, 3], [1, 2, 3, 2]],
    args: [[1, 2, 6, 6], { window: 2 }],
    error: 'ShapeError',
    message: "maxPool2dGradArgmax: argmax shape is [1,2,3,2] but expected [1,2,3,3] (the output shape of the forward's plan)",
  },
  {
    name: 'maxPool2dGradArgmax: dy and argmax of another plan',
    op: 'maxPool2dGradArgmax',
    tensors: [[1, 2, 3, 3], [1, 2, 3, 3]],
    args: [[1, 2, 8, 8], { window: 2 }],
    error: 'ShapeError',
    message: "maxPool2dGradArgmax: dy shape is [1,2,3,3] but expected [1,2,4,4] (the output shape of the forward's plan)",
  },
  {
    name: 'maxPool2dGradArgmax: a plan of another kind',
    op: 'maxPool2dGradArgmax',
    tensors: [[1, 2, 3, 3], [1, 2, 3, 3]],
    args: [{ kind: 'conv2d' }],
    error: 'ArgumentError',
    message: 'maxPool2dGradArgmax: plan is {"kind":"conv2d"} but expected a Pool2dPlan (from planPool2d)',
  },
];
