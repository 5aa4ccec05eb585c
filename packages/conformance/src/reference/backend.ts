/**
 * The float64 reference wrapped as a Backend, so the suite can run on its own oracle (that is how
 * the suite and the reference check each other). Buffers hold float64; uploads come in as float32
 * and reads go out as float32, like any backend.
 */
import { SPEC_VERSION, type Backend, type KernelTable } from '@stridenet/core';
import { conv2d, conv2dBackpropFilter, conv2dBackpropInput } from './conv2d.js';
import { avgPool2d, avgPool2dGrad, maxPool2d, maxPool2dArgmax, maxPool2dGrad, maxPool2dGradArgmax } from './pool2d.js';
import { matMul } from './matmul.js';
import { biasAdd, biasAddGrad, binary, dropout, expand, unary, unaryGrad } from './elementwise.js';
import { reduce } from './reduce.js';
import { softmax, softmaxCrossEntropy, softmaxCrossEntropyGrad } from './softmax.js';
import { batchNormGrad, batchNormInference, batchNormRunning, batchNormTrain, reluMask } from './batch-norm.js';
import { concat, pad, slice, transpose } from './layout.js';
import { adamUpdate, sgdUpdate } from './optimizer.js';

export interface ReferenceHandle {
  data: Float64Array;
  freed: boolean;
}

export interface ReferenceBackend extends Backend<ReferenceHandle> {
  readSync(handle: ReferenceHandle): Float32Array;
}

export interface ReferenceBackendOptions {
  /**
   * Round every stored result to float32 (the maths stays float64): a stand-in for a float32
   * backend when a test needs two backends that differ only by storage rounding.
   */
  float32?: boolean;
  /** Default 'reference-f64', or 'reference-f32' with float32. */
  name?: string;
}

export function createReferenceBackend(options: ReferenceBackendOptions = {}): ReferenceBackend {
  const live = new Set<ReferenceHandle>();
  const round = (data: Float64Array): Float64Array => (options.float32 ? Float64Array.from(Float32Array.from(data)) : data);
  const wrap = (data: Float64Array): ReferenceHandle => {
    const h = { data: round(data), freed: false };
    live.add(h);
    return h;
  };
  const d = (h: ReferenceHandle): Float64Array => {
    if (h.freed) throw new Error('reference backend: handle used after free');
    return h.data;
  };

  const kernels = {
    Conv2D: ({ x, filter, bias, residual }, { plan, activation }) =>
      wrap(conv2d(d(x), d(filter), bias && d(bias), plan, activation, residual && d(residual))),
    Conv2DBackpropInput: ({ dy, filter }, { plan }) => wrap(conv2dBackpropInput(d(dy), d(filter), plan)),
    Conv2DBackpropFilter: ({ x, dy }, { plan }) => wrap(conv2dBackpropFilter(d(x), d(dy), plan)),
    MaxPool2D: ({ x }, { plan }) => wrap(maxPool2d(d(x), plan)),
    MaxPool2DGrad: ({ dy, x }, { plan }) => wrap(maxPool2dGrad(d(dy), d(x), plan)),
    MaxPool2DArgmax: ({ x }, { plan }) => {
      const r = maxPool2dArgmax(d(x), plan);
      return [wrap(r.y), wrap(r.argmax)];
    },
    MaxPool2DGradArgmax: ({ dy, argmax }, { plan }) => wrap(maxPool2dGradArgmax(d(dy), d(argmax), plan)),
    AvgPool2D: ({ x }, { plan }) => wrap(avgPool2d(d(x), plan)),
    AvgPool2DGrad: ({ dy }, { plan }) => wrap(avgPool2dGrad(d(dy), plan)),
    MatMul: ({ a, b, bias }, { plan, activation }) => wrap(matMul(d(a), d(b), bias && d(bias), plan, activation)),
    BiasAdd: ({ x, bias }, { plan }) => wrap(biasAdd(d(x), d(bias), plan)),
    BiasAddGrad: ({ dy }, { plan }) => wrap(biasAddGrad(d(dy), plan)),
    Binary: ({ a, b }, { op, plan }) => wrap(binary(op, d(a), d(b), plan)),
    Expand: ({ x }, { plan }) => wrap(expand(d(x), plan)),
    Unary: ({ x }, { op, alpha }) => wrap(unary(op, d(x), alpha)),
    UnaryGrad: ({ dy, x, y }, { op, alpha }) => wrap(unaryGrad(op, d(dy), d(x), d(y), alpha)),
    Reduce: ({ x }, { op, plan }) => wrap(reduce(op, d(x), plan)),
    Softmax: ({ x }, { plan, log }) => wrap(softmax(d(x), plan, log)),
    SoftmaxCrossEntropy: ({ logits, labels }, { plan }) => wrap(softmaxCrossEntropy(d(logits), d(labels), plan)),
    SoftmaxCrossEntropyGrad: ({ dloss, logits, labels }, { plan }) => wrap(softmaxCrossEntropyGrad(d(dloss), d(logits), d(labels), plan)),
    BatchNormTrain: ({ x, gamma, beta, residual, runningMean, runningVar }, { plan, epsilon, activation, momentum }) => {
      const r = batchNormTrain(d(x), d(gamma), d(beta), plan, epsilon, activation, residual && d(residual));
      if (runningMean && runningVar) {
        batchNormRunning(d(runningMean), d(runningVar), r.mean, r.variance, plan, momentum);
        for (const h of [runningMean, runningVar]) h.data = round(h.data);
      }
      return [wrap(r.y), wrap(r.mean), wrap(r.variance)];
    },
    BatchNormInference: ({ x, gamma, beta, mean, variance }, { plan, epsilon }) =>
      wrap(batchNormInference(d(x), d(gamma), d(beta), d(mean), d(variance), plan, epsilon)),
    BatchNormGrad: ({ dy, x, gamma, mean, variance, y }, { plan, epsilon, activation }) => {
      if (activation === 'relu' && !y) throw new Error("reference backend: BatchNormGrad with activation 'relu' needs y");
      const g = activation === 'relu' ? reluMask(d(dy), d(y!)) : d(dy);
      const r = batchNormGrad(g, d(x), d(gamma), d(mean), d(variance), plan, epsilon);
      return [wrap(r.dx), wrap(r.dgamma), wrap(r.dbeta)];
    },
    Dropout: ({ x, noise }, { rate }) => wrap(dropout(d(x), d(noise), rate)),
    Concat: ({ xs }, { plan }) => {
      const shapes = plan.blockSizes.map((b) => plan.outShape.map((s, i) => (i === plan.axis ? b / plan.inner : s)));
      return wrap(concat(xs.map(d), shapes, plan));
    },
    Slice: ({ x }, { plan }) => wrap(slice(d(x), plan)),
    Transpose: ({ x }, { plan }) => wrap(transpose(d(x), plan)),
    Pad: ({ x }, { plan, value }) => wrap(pad(d(x), plan, value)),
    SgdUpdate: ({ param, grad, velocity }, attrs) => {
      sgdUpdate(d(param), d(grad), d(velocity), attrs);
      for (const h of [param, velocity]) h.data = round(h.data);
    },
    AdamUpdate: ({ param, grad, m, v }, attrs) => {
      adamUpdate(d(param), d(grad), d(m), d(v), attrs);
      for (const h of [param, m, v]) h.data = round(h.data);
    },
    SgdUpdateMany: ({ params, grads, velocities }, { plan, ...attrs }) => {
      plan.sizes.forEach((size, i) => kernels.SgdUpdate({ param: params[i]!, grad: grads[i]!, velocity: velocities[i]! }, { ...attrs, size }));
    },
    AdamUpdateMany: ({ params, grads, ms, vs }, { plan, ...attrs }) => {
      plan.sizes.forEach((size, i) => kernels.AdamUpdate({ param: params[i]!, grad: grads[i]!, m: ms[i]!, v: vs[i]! }, { ...attrs, size }));
    },
    AllFinite: ({ xs }) => wrap(Float64Array.of(xs.every((x) => d(x).every(Number.isFinite)) ? 1 : 0)),
  } satisfies KernelTable<ReferenceHandle>;

  return {
    name: options.name ?? (options.float32 ? 'reference-f32' : 'reference-f64'),
    specVersion: SPEC_VERSION,
    kernels,
    upload: (values) => wrap(Float64Array.from(values)),
    read: async (h) => Float32Array.from(d(h)),
    readSync: (h) => Float32Array.from(d(h)),
    free: (h) => {
      if (h.freed) throw new Error('reference backend: handle freed twice');
      h.freed = true;
      live.delete(h);
    },
    supports: () => true,
    memory: () => {
      let bytes = 0;
      for (const h of live) bytes += h.data.length * 4;
      return { buffers: live.size, bytes };
    },
    info: () => ({ device: 'float64 loops (conformance oracle)' }),
  };
}
