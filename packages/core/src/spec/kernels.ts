/**
 * The kernel contract as data: the one place a kernel is declared. Core derives the static types
 * from these values (./types.ts), and tools/spec-gen reads them to write each backend's ABI (C++
 * registry and enums, gyp sources, AssemblyScript exports, WGSL constants, TypeScript kernel tables).
 * This module imports nothing at run time, so the generator can load it on its own.
 *
 * Names: each kernel is spelled once, in PascalCase; camelCase, kebab-case file names, the C++
 * prepare function and the AssemblyScript export are derived from it (./names.ts).
 * Inputs: `name`, `name?` (optional), `name[]` (a list of handles). Attributes: 'f32' and 'i32'
 * (numbers, written as float or integer words), 'bool', or an enum of ENUMS. A kernel with a `plan`
 * also takes `plan`, the frozen plan of that kind. Outputs: one name per returned handle. `writes` lists
 * the inputs a kernel updates in place (all a kernel without outputs does; BatchNormTrain's running statistics).
 */

/** Enumerations shared by every backend; an entry's code is its index (native, wasm and WGSL read codes). */
export const ENUMS = Object.freeze({
  /** Activation fused into Conv2D, MatMul and BatchNormTrain after the optional bias / residual. */
  activation: ['linear', 'relu'],
  binaryOp: ['add', 'sub', 'mul', 'div', 'max', 'min', 'equal'],
  /**
   * `alpha` is the negative slope of leakyRelu and the scale of elu (ignored otherwise).
   * UnaryGrad receives dy, x and y = op(x) and returns dy * op'(x):
   * relu: x > 0; leakyRelu: x > 0 ? 1 : alpha; elu: x > 0 ? 1 : y + alpha; sigmoid: y(1 - y);
   * tanh: 1 - y^2; exp: y; log: 1 / x; sqrt: 0.5 / y; neg: -1; square: 2x; identity: 1.
   */
  unaryOp: ['relu', 'leakyRelu', 'elu', 'sigmoid', 'tanh', 'exp', 'log', 'sqrt', 'neg', 'square', 'identity'],
  reduceOp: ['sum', 'mean', 'max'],
} as const);

/** Maximum rank of the rank-generic plans (broadcast, expand, transpose, slice, pad). */
export const SPEC_MAX_RANK = 6;

/**
 * Int32Array layout of each plan kind, in order: a field is one word, [name, n] n words, and
 * [name, 'rest'] every remaining word (a variable-length tail). Booleans are 0 / 1.
 */
export const PLAN_ENCODINGS = Object.freeze({
  conv2d: [
    'batch', 'inChannels', 'inHeight', 'inWidth', 'outChannels', 'outHeight', 'outWidth', 'kernelHeight', 'kernelWidth',
    'strideHeight', 'strideWidth', 'dilationHeight', 'dilationWidth', 'padTop', 'padBottom', 'padLeft', 'padRight', 'groups',
  ],
  pool2d: [
    'batch', 'channels', 'inHeight', 'inWidth', 'outHeight', 'outWidth', 'windowHeight', 'windowWidth', 'strideHeight',
    'strideWidth', 'padTop', 'padBottom', 'padLeft', 'padRight', 'countIncludePad', 'ceilMode',
  ],
  matmul: ['m', 'n', 'k', 'transposeA', 'transposeB'],
  broadcast: ['rank', 'size', ['outShape', 6], ['aStrides', 6], ['bStrides', 6]],
  expand: ['rank', 'size', ['outShape', 6], ['inStrides', 6]],
  channel: ['outer', 'channels', 'inner'],
  rows: ['rows', 'cols'],
  reduce: ['outer', 'reduce', 'inner'],
  concat: ['outer', 'count', ['blockSizes', 'rest']],
  slice: ['rank', ['inShape', 6], ['begin', 6], ['outShape', 6]],
  transpose: ['rank', ['inShape', 6], ['perm', 6]],
  pad: ['rank', ['inShape', 6], ['before', 6], ['after', 6]],
  tensorList: ['count', 'total', ['sizes', 'rest']],
} as const);

export type EnumName = keyof typeof ENUMS;
export type PlanKind = keyof typeof PLAN_ENCODINGS;
export type AttrKind = 'f32' | 'i32' | 'bool' | EnumName;

/** The shape of one kernel entry (checked with `satisfies`, so entries keep their literal types). */
export interface KernelSpec {
  readonly doc: string;
  readonly inputs: readonly string[];
  readonly plan?: PlanKind;
  /** A name ending in `?` is an optional attribute (absent: the kernel's default). */
  readonly attrs: { readonly [name: string]: AttrKind };
  readonly outputs: readonly string[];
  /** Inputs updated in place (kernels without outputs). */
  readonly writes?: readonly string[];
}

const CONV = { plan: 'conv2d' } as const;
const POOL = { plan: 'pool2d' } as const;
const CHANNEL_EPS = { plan: 'channel', attrs: { epsilon: 'f32' } } as const;
const ONE = ['y'] as const;

/** Every kernel, in the order backends list them. */
export const KERNELS = Object.freeze({
  Conv2D: {
    doc:
      'y = act(conv(x, filter) + bias + residual); residual (a ResNet shortcut) has the output shape [plan.outShape]. ' +
      'noGrad: core records no gradient through this call (inference), so a backend may pick an algorithm that rounds differently within the tolerance (Winograd for trainable filters).',
    inputs: ['x', 'filter', 'bias?', 'residual?'],
    ...CONV,
    attrs: { activation: 'activation', 'noGrad?': 'bool' },
    outputs: ONE,
  },
  Conv2DBackpropInput: { doc: 'dx [plan.inShape] from dy [plan.outShape].', inputs: ['dy', 'filter'], ...CONV, attrs: {}, outputs: ['dx'] },
  Conv2DBackpropFilter: { doc: 'dfilter [plan.filterShape] from x and dy.', inputs: ['x', 'dy'], ...CONV, attrs: {}, outputs: ['dfilter'] },
  MaxPool2D: { doc: 'Max over each window; NaN propagates.', inputs: ['x'], ...POOL, attrs: {}, outputs: ONE },
  MaxPool2DGrad: { doc: 'Routes dy to the cell each window selects, recomputed from x: its last NaN, else its first maximum (Pool2dPlan).', inputs: ['dy', 'x'], ...POOL, attrs: {}, outputs: ['dx'] },
  MaxPool2DArgmax: {
    doc:
      'MaxPool2D that also returns, per window, the tap it selects (MaxPool2DGrad\'s rule: its last NaN, else its first maximum in ' +
      'row-major tap order): argmax [plan.outShape] holds kh * plan.windowWidth + kw, the tap\'s place in the unclipped window ' +
      '(padding taps count, so the code is independent of where the window lies; float32 holds these small integers exactly), ' +
      '-1 for a window without an input cell. The training forward: the tape saves argmax instead of x (PyTorch\'s indices).',
    inputs: ['x'],
    ...POOL,
    attrs: {},
    outputs: ['y', 'argmax'],
  },
  MaxPool2DGradArgmax: {
    doc:
      'dx [plan.inShape]: each window adds its dy to the input cell its argmax tap (from MaxPool2DArgmax) names, windows in ' +
      'row-major output order, so the result equals MaxPool2DGrad(dy, x) bit for bit; overlapping windows (stride < window) sum.',
    inputs: ['dy', 'argmax'],
    ...POOL,
    attrs: {},
    outputs: ['dx'],
  },
  AvgPool2D: { doc: 'Mean over each window (divisor per plan.countIncludePad).', inputs: ['x'], ...POOL, attrs: {}, outputs: ONE },
  AvgPool2DGrad: { doc: 'Spreads dy evenly over each window.', inputs: ['dy'], ...POOL, attrs: {}, outputs: ['dx'] },
  MatMul: {
    doc:
      'c = act(op(a) op(b) + bias), bias of length n added to each row. ' +
      'noGrad: core records no gradient through this call (inference), so a backend may keep a prepared copy of b (a dense layer\'s weights) until they change and sum in another order within the tolerance.',
    inputs: ['a', 'b', 'bias?'],
    plan: 'matmul',
    attrs: { activation: 'activation', 'noGrad?': 'bool' },
    outputs: ['c'],
  },
  BiasAdd: { doc: 'y = x + bias along channel axis 1.', inputs: ['x', 'bias'], plan: 'channel', attrs: {}, outputs: ONE },
  BiasAddGrad: { doc: 'Sum of dy over every axis but the channel axis: [channels].', inputs: ['dy'], plan: 'channel', attrs: {}, outputs: ['dbias'] },
  Binary: { doc: 'Broadcasting binary op; `equal` gives 1 or 0.', inputs: ['a', 'b'], plan: 'broadcast', attrs: { op: 'binaryOp' }, outputs: ONE },
  Expand: {
    doc: 'y = x repeated along broadcast axes to plan.outShape (NumPy broadcast_to): constants and broadcasts stay on the device.',
    inputs: ['x'],
    plan: 'expand',
    attrs: {},
    outputs: ONE,
  },
  Unary: { doc: 'y = op(x) element-wise.', inputs: ['x'], attrs: { op: 'unaryOp', alpha: 'f32', size: 'i32' }, outputs: ONE },
  UnaryGrad: { doc: "dx = dy * op'(x), given y = op(x).", inputs: ['dy', 'x', 'y'], attrs: { op: 'unaryOp', alpha: 'f32', size: 'i32' }, outputs: ['dx'] },
  Reduce: { doc: '[outer, reduce, inner] -> [outer, inner]; max propagates NaN.', inputs: ['x'], plan: 'reduce', attrs: { op: 'reduceOp' }, outputs: ONE },
  Softmax: { doc: 'Softmax (or log-softmax) over the last axis, max-subtracted.', inputs: ['x'], plan: 'rows', attrs: { log: 'bool' }, outputs: ONE },
  SoftmaxCrossEntropy: {
    doc: 'Per-row loss -sum(labels * logSoftmax(logits)); labels are distributions (one-hot or smoothed).',
    inputs: ['logits', 'labels'],
    plan: 'rows',
    attrs: {},
    outputs: ['loss'],
  },
  SoftmaxCrossEntropyGrad: {
    doc: 'dlogits = dloss[row] * (sum(labels[row]) * softmax(logits) - labels): exact also when a row does not sum to 1.',
    inputs: ['dloss', 'logits', 'labels'],
    plan: 'rows',
    attrs: {},
    outputs: ['dlogits'],
  },
  BatchNormTrain: {
    doc:
      'Batch statistics over every axis but channels: y = act(gamma * (x - mean) / sqrt(variance + epsilon) + beta + residual), ' +
      'returns [y, mean, variance] (variance biased). With runningMean / runningVar (both or neither), updates them in place ' +
      '(PyTorch convention): r = (1 - momentum) * r + momentum * s, s the mean and the unbiased variance (count / (count - 1)).',
    inputs: ['x', 'gamma', 'beta', 'residual?', 'runningMean?', 'runningVar?'],
    plan: 'channel',
    attrs: { epsilon: 'f32', activation: 'activation', momentum: 'f32' },
    outputs: ['y', 'mean', 'variance'],
    writes: ['runningMean', 'runningVar'],
  },
  BatchNormInference: { doc: 'y = gamma * (x - mean) / sqrt(variance + epsilon) + beta.', inputs: ['x', 'gamma', 'beta', 'mean', 'variance'], ...CHANNEL_EPS, outputs: ONE },
  BatchNormGrad: {
    doc:
      'Gradient of BatchNormTrain given the batch mean and biased variance: [dx, dgamma, dbeta]. With activation relu, y is ' +
      "the fused forward output and dy counts only where y > 0 (the residual's gradient is that masked dy).",
    inputs: ['dy', 'x', 'gamma', 'mean', 'variance', 'y?'],
    plan: 'channel',
    attrs: { epsilon: 'f32', activation: 'activation' },
    outputs: ['dx', 'dgamma', 'dbeta'],
  },
  Dropout: {
    doc: 'y = noise >= rate ? x / (1 - rate) : 0, with noise uniform in [0, 1) drawn by the core RNG.',
    inputs: ['x', 'noise'],
    attrs: { rate: 'f32', size: 'i32' },
    outputs: ONE,
  },
  Concat: { doc: 'Concatenation along plan.axis.', inputs: ['xs[]'], plan: 'concat', attrs: {}, outputs: ONE },
  Slice: { doc: 'y = x[begin .. begin + size) on every axis.', inputs: ['x'], plan: 'slice', attrs: {}, outputs: ONE },
  Transpose: { doc: 'Out axis d = in axis perm[d].', inputs: ['x'], plan: 'transpose', attrs: {}, outputs: ONE },
  Pad: { doc: 'Constant padding; pad cells hold `value`.', inputs: ['x'], plan: 'pad', attrs: { value: 'f32' }, outputs: ONE },
  SgdUpdate: {
    doc: 'In place: param, velocity. PyTorch semantics: d = g + wd * p; v = momentum * v + d; step = nesterov ? d + momentum * v : v.',
    inputs: ['param', 'grad', 'velocity'],
    attrs: { size: 'i32', lr: 'f32', momentum: 'f32', nesterov: 'bool', weightDecay: 'f32' },
    outputs: [],
    writes: ['param', 'velocity'],
  },
  AdamUpdate: {
    doc: 'In place: param, m, v. AdamW (decoupled) first does p -= lr * wd * p, Adam adds wd * p to g; step is 1-based.',
    inputs: ['param', 'grad', 'm', 'v'],
    attrs: { size: 'i32', lr: 'f32', beta1: 'f32', beta2: 'f32', epsilon: 'f32', weightDecay: 'f32', decoupled: 'bool', step: 'i32' },
    outputs: [],
    writes: ['param', 'm', 'v'],
  },
  SgdUpdateMany: {
    doc: 'SgdUpdate on every (params[i], grads[i], velocities[i]) at once, sizes from plan.sizes: one call per optimizer step.',
    inputs: ['params[]', 'grads[]', 'velocities[]'],
    plan: 'tensorList',
    attrs: { lr: 'f32', momentum: 'f32', nesterov: 'bool', weightDecay: 'f32' },
    outputs: [],
    writes: ['params', 'velocities'],
  },
  AdamUpdateMany: {
    doc: 'AdamUpdate on every (params[i], grads[i], ms[i], vs[i]) at once, sizes from plan.sizes: one call per optimizer step.',
    inputs: ['params[]', 'grads[]', 'ms[]', 'vs[]'],
    plan: 'tensorList',
    attrs: { lr: 'f32', beta1: 'f32', beta2: 'f32', epsilon: 'f32', weightDecay: 'f32', decoupled: 'bool', step: 'i32' },
    outputs: [],
    writes: ['params', 'ms', 'vs'],
  },
  AllFinite: {
    doc: 'y [1] = 1 when every value of every xs[i] (sizes from plan.sizes) is finite, else 0 (any NaN or ±Inf).',
    inputs: ['xs[]'],
    plan: 'tensorList',
    attrs: {},
    outputs: ONE,
  },
} as const satisfies Readonly<Record<string, KernelSpec>>);
