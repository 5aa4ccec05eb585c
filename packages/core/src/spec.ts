/**
 * The kernel contract: every kernel a backend implements, declared once with its inputs and
 * attributes. Shapes are never re-derived by kernels: each carries a frozen plan from core.
 * All buffers are dense row-major float32; layouts are NCHW (input/output) and OIHW (filters).
 */
import type { Conv2dPlan } from './plans/conv2d.js';
import type { Pool2dPlan } from './plans/pool2d.js';
import type { MatMulPlan } from './plans/matmul.js';
import type { BroadcastPlan, ChannelPlan, ExpandPlan, RowsPlan } from './plans/elementwise.js';
import type { ConcatPlan, PadPlan, ReducePlan, SlicePlan, TransposePlan } from './plans/layout.js';

/** Bumped when a kernel's signature or semantics change; backends declare the version they implement. */
export const SPEC_VERSION = 1 as const;
export type SpecVersion = typeof SPEC_VERSION;

/** Activation fused into Conv2D and MatMul after the optional bias. */
export type FusedActivation = 'linear' | 'relu';

export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'max' | 'min' | 'equal';

/**
 * Unary ops; `alpha` is the negative slope of leakyRelu and the scale of elu (ignored otherwise).
 * UnaryGrad receives dy, x and y = op(x) and returns dy * op'(x):
 * relu: x > 0; leakyRelu: x > 0 ? 1 : alpha; elu: x > 0 ? 1 : y + alpha; sigmoid: y(1 - y);
 * tanh: 1 - y^2; exp: y; log: 1 / x; sqrt: 0.5 / y; neg: -1; square: 2x; identity: 1.
 */
export type UnaryOp =
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
  | 'identity';

export type ReduceOp = 'sum' | 'mean' | 'max';

export interface SgdAttrs {
  size: number;
  lr: number;
  momentum: number;
  /** PyTorch semantics: d = g + wd * p; v = momentum * v + d; step = nesterov ? d + momentum * v : v. */
  nesterov: boolean;
  weightDecay: number;
}

export interface AdamAttrs {
  size: number;
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
  /** AdamW: p -= lr * wd * p before the Adam step; otherwise (Adam) g += wd * p. */
  decoupled: boolean;
  /** 1-based step number used for bias correction. */
  step: number;
}

/**
 * Each kernel: `inputs` are backend handles, `attrs` plain data, `output` what it returns.
 * Kernels returning `void` update their inputs in place (optimizer state only).
 */
export interface KernelDefs<H> {
  /** y = act(conv(x, filter) + bias). */
  Conv2D: { inputs: { x: H; filter: H; bias?: H }; attrs: { plan: Conv2dPlan; activation: FusedActivation }; output: H };
  /** dx [plan.inShape] from dy [plan.outShape]. */
  Conv2DBackpropInput: { inputs: { dy: H; filter: H }; attrs: { plan: Conv2dPlan }; output: H };
  /** dfilter [plan.filterShape] from x and dy. */
  Conv2DBackpropFilter: { inputs: { x: H; dy: H }; attrs: { plan: Conv2dPlan }; output: H };
  MaxPool2D: { inputs: { x: H }; attrs: { plan: Pool2dPlan }; output: H };
  /** Routes dy to the cell each window selects, recomputed from x: its last NaN, else its first maximum (Pool2dPlan). */
  MaxPool2DGrad: { inputs: { dy: H; x: H }; attrs: { plan: Pool2dPlan }; output: H };
  AvgPool2D: { inputs: { x: H }; attrs: { plan: Pool2dPlan }; output: H };
  AvgPool2DGrad: { inputs: { dy: H }; attrs: { plan: Pool2dPlan }; output: H };
  /** c = act(op(a) op(b) + bias), bias of length n added to each row. */
  MatMul: { inputs: { a: H; b: H; bias?: H }; attrs: { plan: MatMulPlan; activation: FusedActivation }; output: H };
  /** y = x + bias along channel axis 1. */
  BiasAdd: { inputs: { x: H; bias: H }; attrs: { plan: ChannelPlan }; output: H };
  /** Sum of dy over every axis but the channel axis: [channels]. */
  BiasAddGrad: { inputs: { dy: H }; attrs: { plan: ChannelPlan }; output: H };
  /** Broadcasting binary op; `equal` gives 1 or 0. */
  Binary: { inputs: { a: H; b: H }; attrs: { op: BinaryOp; plan: BroadcastPlan }; output: H };
  /** y = x repeated along broadcast axes to plan.outShape (NumPy broadcast_to): constants and broadcasts stay on the device. */
  Expand: { inputs: { x: H }; attrs: { plan: ExpandPlan }; output: H };
  Unary: { inputs: { x: H }; attrs: { op: UnaryOp; alpha: number; size: number }; output: H };
  UnaryGrad: { inputs: { dy: H; x: H; y: H }; attrs: { op: UnaryOp; alpha: number; size: number }; output: H };
  /** [outer, reduce, inner] -> [outer, inner]; max propagates NaN. */
  Reduce: { inputs: { x: H }; attrs: { op: ReduceOp; plan: ReducePlan }; output: H };
  /** Softmax (or log-softmax) over the last axis, max-subtracted. */
  Softmax: { inputs: { x: H }; attrs: { plan: RowsPlan; log: boolean }; output: H };
  /** Per-row loss -sum(labels * logSoftmax(logits)); labels are distributions (one-hot or smoothed). */
  SoftmaxCrossEntropy: { inputs: { logits: H; labels: H }; attrs: { plan: RowsPlan }; output: H };
  /** dlogits = dloss[row] * (sum(labels[row]) * softmax(logits) - labels): exact also when a row does not sum to 1. */
  SoftmaxCrossEntropyGrad: { inputs: { dloss: H; logits: H; labels: H }; attrs: { plan: RowsPlan }; output: H };
  /** Batch statistics over every axis but channels; returns [y, mean, variance] (variance biased). */
  BatchNormTrain: { inputs: { x: H; gamma: H; beta: H }; attrs: { plan: ChannelPlan; epsilon: number }; output: [H, H, H] };
  BatchNormInference: {
    inputs: { x: H; gamma: H; beta: H; mean: H; variance: H };
    attrs: { plan: ChannelPlan; epsilon: number };
    output: H;
  };
  /** Gradient of BatchNormTrain given the batch mean and biased variance: [dx, dgamma, dbeta]. */
  BatchNormGrad: {
    inputs: { dy: H; x: H; gamma: H; mean: H; variance: H };
    attrs: { plan: ChannelPlan; epsilon: number };
    output: [H, H, H];
  };
  /** y = noise >= rate ? x / (1 - rate) : 0, with noise uniform in [0, 1) drawn by the core RNG. */
  Dropout: { inputs: { x: H; noise: H }; attrs: { rate: number; size: number }; output: H };
  Concat: { inputs: { xs: readonly H[] }; attrs: { plan: ConcatPlan }; output: H };
  Slice: { inputs: { x: H }; attrs: { plan: SlicePlan }; output: H };
  Transpose: { inputs: { x: H }; attrs: { plan: TransposePlan }; output: H };
  Pad: { inputs: { x: H }; attrs: { plan: PadPlan; value: number }; output: H };
  /** In place: param, velocity. */
  SgdUpdate: { inputs: { param: H; grad: H; velocity: H }; attrs: SgdAttrs; output: void };
  /** In place: param, m, v. */
  AdamUpdate: { inputs: { param: H; grad: H; m: H; v: H }; attrs: AdamAttrs; output: void };
}

export type KernelName = keyof KernelDefs<unknown>;

export const KERNEL_NAMES = Object.freeze([
  'Conv2D',
  'Conv2DBackpropInput',
  'Conv2DBackpropFilter',
  'MaxPool2D',
  'MaxPool2DGrad',
  'AvgPool2D',
  'AvgPool2DGrad',
  'MatMul',
  'BiasAdd',
  'BiasAddGrad',
  'Binary',
  'Expand',
  'Unary',
  'UnaryGrad',
  'Reduce',
  'Softmax',
  'SoftmaxCrossEntropy',
  'SoftmaxCrossEntropyGrad',
  'BatchNormTrain',
  'BatchNormInference',
  'BatchNormGrad',
  'Dropout',
  'Concat',
  'Slice',
  'Transpose',
  'Pad',
  'SgdUpdate',
  'AdamUpdate',
] as const satisfies readonly KernelName[]);

// Compile-time check that KERNEL_NAMES lists every kernel.
type Missing = Exclude<KernelName, (typeof KERNEL_NAMES)[number]>;
const _allListed: Missing extends never ? true : Missing = true;
void _allListed;

export type KernelInputs<H, K extends KernelName> = KernelDefs<H>[K]['inputs'];
export type KernelAttrs<K extends KernelName> = KernelDefs<unknown>[K]['attrs'];
export type KernelOutput<H, K extends KernelName> = KernelDefs<H>[K]['output'];

export type KernelFn<H, K extends KernelName> = (inputs: KernelInputs<H, K>, attrs: KernelAttrs<K>) => KernelOutput<H, K>;

/** What a backend exports: `export const kernels = { Conv2D, ... } satisfies KernelTable<MyHandle>`. */
export type KernelTable<H> = { readonly [K in KernelName]: KernelFn<H, K> };

export interface BackendMemory {
  /** Live buffers owned by the backend (including pooled ones not handed out, if `pooledBytes` is reported). */
  buffers: number;
  bytes: number;
  pooledBytes?: number;
}

export interface BackendInfo {
  threads?: number;
  simd?: boolean;
  /** e.g. CPU features, GPU adapter description. */
  device?: string;
  /** Anything else worth reporting (threading disabled because no SharedArrayBuffer, ...). */
  notes?: string[];
}

/**
 * A compute backend. `H` is its buffer handle type. Kernels are synchronous from core's point of
 * view (they may enqueue work); only `read` is async.
 */
export interface Backend<H = unknown> {
  readonly name: string;
  readonly specVersion: SpecVersion;
  readonly kernels: KernelTable<H>;
  /** Copies `values` into a new buffer of `values.length` floats. */
  upload(values: Float32Array): H;
  /** Copies a buffer back (resolves once pending work producing it is done). */
  read(handle: H): Promise<Float32Array>;
  /** Synchronous read where the backend can do it (CPU backends). */
  readSync?(handle: H): Float32Array;
  /** Releases a buffer; called exactly once per handle by core. */
  free(handle: H): void;
  /** Kernel support for these attributes: true, or why not (named option). */
  supports<K extends KernelName>(kernel: K, attrs: KernelAttrs<K>): true | string;
  memory(): BackendMemory;
  info(): BackendInfo;
  /** Waits until every queued kernel has finished. */
  sync?(): Promise<void>;
  /** Frees everything the backend owns (workers, devices). */
  dispose?(): void | Promise<void>;
}

/**
 * A backend of any handle type. Kernel tables are contravariant in their handle type, so a
 * Backend<Float32Array> is not a Backend<unknown>; APIs that accept any backend use this.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyBackend = Backend<any>;
