/**
 * One valid call per kernel, at scale 1 (the buffers the fuzz uploads) or a larger scale (an
 * "oversize" plan or size that core made for a bigger tensor). Every plan has at least two output
 * rows and columns, so an entry set to a huge value always changes what core's planner would give.
 */
import {
  planBroadcast,
  planChannel,
  planConcat,
  planConv2d,
  planExpand,
  planMatMul,
  planPad,
  planPool2d,
  planReduce,
  planRows,
  planSlice,
  planTensorList,
  planTranspose,
  sizeOf,
  type KernelName,
} from '@stridenet/core';

/** Float count of each input (a list for Concat's xs and the multi-tensor kernels' lists) and the attributes of one call. */
export interface Template {
  sizes: Record<string, number | number[]>;
  attrs: Record<string, unknown>;
}

const conv = (s: number) => planConv2d([2, 3, 5 * s, 6], [4, 3, 3, 3], { padding: 1 });
const pool = (s: number) => planPool2d([2, 3, 6 * s, 6], { window: 2 });
const chan = (s: number) => planChannel('fuzz', [2 * s, 3, 4], 3);
const rows = (s: number) => planRows('fuzz', [4 * s, 5]);
const flat = (s: number) => 20 * s;
const list = (s: number) => [6 * s, 1, 8 * s];
const tensors = (s: number) => planTensorList('fuzz', list(s));
const poolSizes = (s: number, ...names: ('x' | 'dy')[]) =>
  Object.fromEntries(names.map((n) => [n, sizeOf(n === 'x' ? pool(s).inShape : pool(s).outShape)]));

export const TEMPLATES: Readonly<Record<KernelName, (scale: number) => Template>> = {
  Conv2D: (s) => ({ sizes: { x: sizeOf(conv(s).inShape), filter: 108, bias: 4 }, attrs: { plan: conv(s), activation: 'relu' } }),
  Conv2DBackpropInput: (s) => ({ sizes: { dy: sizeOf(conv(s).outShape), filter: 108 }, attrs: { plan: conv(s) } }),
  Conv2DBackpropFilter: (s) => ({ sizes: { x: sizeOf(conv(s).inShape), dy: sizeOf(conv(s).outShape) }, attrs: { plan: conv(s) } }),
  MaxPool2D: (s) => ({ sizes: poolSizes(s, 'x'), attrs: { plan: pool(s) } }),
  MaxPool2DGrad: (s) => ({ sizes: poolSizes(s, 'dy', 'x'), attrs: { plan: pool(s) } }),
  MaxPool2DArgmax: (s) => ({ sizes: poolSizes(s, 'x'), attrs: { plan: pool(s) } }),
  MaxPool2DGradArgmax: (s) => ({ sizes: { ...poolSizes(s, 'dy'), argmax: sizeOf(pool(s).outShape) }, attrs: { plan: pool(s) } }),
  AvgPool2D: (s) => ({ sizes: poolSizes(s, 'x'), attrs: { plan: pool(s) } }),
  AvgPool2DGrad: (s) => ({ sizes: poolSizes(s, 'dy'), attrs: { plan: pool(s) } }),
  MatMul: (s) => ({ sizes: { a: 5 * s * 6, b: 42, bias: 7 }, attrs: { plan: planMatMul([5 * s, 6], [6, 7]), activation: 'linear' } }),
  BiasAdd: (s) => ({ sizes: { x: 24 * s, bias: 3 }, attrs: { plan: chan(s) } }),
  BiasAddGrad: (s) => ({ sizes: { dy: 24 * s }, attrs: { plan: chan(s) } }),
  Binary: (s) => ({ sizes: { a: 12 * s, b: 4 }, attrs: { op: 'add', plan: planBroadcast('add', [3 * s, 4], [4]) } }),
  Unary: (s) => ({ sizes: { x: 20 }, attrs: { op: 'leakyRelu', alpha: 0.1, size: flat(s) } }),
  UnaryGrad: (s) => ({ sizes: { dy: 20, x: 20, y: 20 }, attrs: { op: 'relu', alpha: 0, size: flat(s) } }),
  Reduce: (s) => ({ sizes: { x: 60 * s }, attrs: { op: 'sum', plan: planReduce(3 * s, 4, 5) } }),
  Softmax: (s) => ({ sizes: { x: 20 * s }, attrs: { plan: rows(s), log: false } }),
  SoftmaxCrossEntropy: (s) => ({ sizes: { logits: 20 * s, labels: 20 * s }, attrs: { plan: rows(s) } }),
  SoftmaxCrossEntropyGrad: (s) => ({ sizes: { dloss: 4 * s, logits: 20 * s, labels: 20 * s }, attrs: { plan: rows(s) } }),
  BatchNormTrain: (s) => ({
    sizes: { x: 24 * s, gamma: 3, beta: 3, residual: 24 * s, runningMean: 3, runningVar: 3 },
    attrs: { plan: chan(s), epsilon: 1e-5, activation: 'relu', momentum: 0.1 },
  }),
  BatchNormInference: (s) => ({ sizes: { x: 24 * s, gamma: 3, beta: 3, mean: 3, variance: 3 }, attrs: { plan: chan(s), epsilon: 1e-5 } }),
  BatchNormGrad: (s) => ({ sizes: { dy: 24 * s, x: 24 * s, gamma: 3, mean: 3, variance: 3, y: 24 * s }, attrs: { plan: chan(s), epsilon: 1e-5, activation: 'relu' } }),
  Dropout: (s) => ({ sizes: { x: 20, noise: 20 }, attrs: { rate: 0.3, size: flat(s) } }),
  Expand: (s) => ({ sizes: { x: 5 * s }, attrs: { plan: planExpand('expand', [1, 5 * s], [4, 5 * s]) } }),
  Concat: (s) => ({ sizes: { xs: [6 * s, 8 * s] }, attrs: { plan: planConcat([[2 * s, 3], [2 * s, 4]], 1) } }),
  Slice: (s) => ({ sizes: { x: 20 }, attrs: { plan: planSlice([4 * s, 5], [1, 1], [2 * s, 3]) } }),
  Transpose: (s) => ({ sizes: { x: 20 * s }, attrs: { plan: planTranspose([4 * s, 5], [1, 0]) } }),
  Pad: (s) => ({ sizes: { x: 20 * s }, attrs: { plan: planPad([4 * s, 5], [[1, 0], [0, 2]]), value: 0 } }),
  SgdUpdate: (s) => ({
    sizes: { param: 20, grad: 20, velocity: 20 },
    attrs: { size: flat(s), lr: 0.1, momentum: 0.9, nesterov: false, weightDecay: 0 },
  }),
  AdamUpdate: (s) => ({
    sizes: { param: 20, grad: 20, m: 20, v: 20 },
    attrs: { size: flat(s), lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, decoupled: true, step: 1 },
  }),
  SgdUpdateMany: (s) => ({
    sizes: { params: list(s), grads: list(s), velocities: list(s) },
    attrs: { plan: tensors(s), lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 },
  }),
  AdamUpdateMany: (s) => ({
    sizes: { params: list(s), grads: list(s), ms: list(s), vs: list(s) },
    attrs: { plan: tensors(s), lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, decoupled: false, step: 2 },
  }),
  AllFinite: (s) => ({ sizes: { xs: list(s) }, attrs: { plan: tensors(s) } }),
};

/** Numeric and enum attributes each kernel must refuse, beyond its plan or size. */
export const BAD_ATTRS: Readonly<Partial<Record<KernelName, Record<string, readonly unknown[]>>>> = {
  Conv2D: { activation: ['gelu', 1, null] },
  MatMul: { activation: ['sigmoid', true] },
  Binary: { op: ['pow', 'toString', 3] },
  Unary: { op: ['softplus', '__proto__'], alpha: ['x', null, NaN, Infinity] },
  UnaryGrad: { op: ['gelu'], alpha: [undefined] },
  Reduce: { op: ['prod', 'constructor'] },
  Softmax: { log: [1, 'yes', undefined] },
  BatchNormTrain: { epsilon: [-1, NaN, Infinity, '1e-5'], activation: ['gelu', 1], momentum: [-0.1, NaN, Infinity, '0.1'] },
  BatchNormInference: { epsilon: [-1e-3, NaN] },
  BatchNormGrad: { epsilon: [-Infinity, NaN], activation: ['sigmoid', null] },
  Dropout: { rate: [1, 1.5, -0.1, NaN, Infinity] },
  Pad: { value: ['0', null, undefined] },
  SgdUpdate: { lr: [NaN, Infinity, '0.1'], momentum: [NaN, -Infinity], weightDecay: [NaN], nesterov: [1, 'true'] },
  AdamUpdate: { lr: [NaN, -Infinity], beta1: [NaN], beta2: [Infinity], epsilon: [NaN], step: [0, -1, NaN, Infinity], decoupled: [0] },
  SgdUpdateMany: { lr: [NaN, '0.1'], momentum: [Infinity], weightDecay: [NaN], nesterov: [1] },
  AdamUpdateMany: { lr: [Infinity], beta2: [NaN], step: [0, NaN], decoupled: ['yes'] },
};
