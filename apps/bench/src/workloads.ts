import { conv2dCases, pool2dCases } from '@stridenet/conformance';
import { maxPoolRecordsArgmax, modelZoo, planConv2d, planPool2d, type Conv2dOptions, type Pool2dOptions } from '@stridenet/core';

/** Explicit [top, bottom, left, right] padding: every runner (ours and peers) gets the same numbers. */
export type Pads = readonly [number, number, number, number];

export interface ConvSpec {
  kind: 'conv2d';
  pass: 'forward' | 'backward-input' | 'backward-filter';
  /** NCHW. */
  input: readonly [number, number, number, number];
  /** OIHW. */
  filter: readonly [number, number, number, number];
  stride: readonly [number, number];
  dilation: readonly [number, number];
  pads: Pads;
  groups: number;
}

export interface PoolSpec {
  kind: 'pool2d';
  pool: 'max' | 'avg';
  /**
   * Absent: the forward. 'backward-input': dx from dy (and x for max pooling), the gradient a training step runs.
   * 'forward-train' (max pooling): the forward a training step runs, which also records each window's selected
   * input where windows overlap (see maxPoolRecordsArgmax; PyTorch's max_pool2d with return_indices); y is checked.
   */
  pass?: 'backward-input' | 'forward-train';
  input: readonly [number, number, number, number];
  window: readonly [number, number];
  stride: readonly [number, number];
  pads: Pads;
  ceilMode: boolean;
  countIncludePad: boolean;
}

/** y = x W^T + b with W [out, in] (PyTorch Linear layout). */
export interface DenseSpec {
  kind: 'dense';
  batch: number;
  inFeatures: number;
  outFeatures: number;
}

export interface MatMulSpec {
  kind: 'matmul';
  m: number;
  k: number;
  n: number;
}

export interface ModelSpec {
  kind: 'model';
  model: string;
  mode: 'train' | 'infer';
  batch: number;
  /** C, H, W. */
  inputShape: readonly [number, number, number];
  numClasses: number;
  /**
   * Through a compiled model: inference with compile(model, { mode: 'inference' }) (batch norm folded,
   * epilogues fused, liveness-planned buffers), training with compile(model, { mode: 'training' }) (ReLUs
   * and residual Adds fused into the op before them); peers run their normal path on the same row.
   */
  compiled?: boolean;
}

export type WorkloadSpec = ConvSpec | PoolSpec | DenseSpec | MatMulSpec | ModelSpec;

export interface Workload {
  /** Stable id used in JSON, compare and the recommendation (e.g. 'model/lenet5/train/b64'). */
  id: string;
  suite: 'ops' | 'models';
  title: string;
  spec: WorkloadSpec;
  /** Floating-point operations of one iteration (multiply-add = 2), when known. */
  flops?: number;
  /** Bytes read and written once by one iteration (for bandwidth-bound ops). */
  bytes?: number;
  /** Images per iteration (model workloads). */
  images?: number;
  /** Slow on scalar backends: skipped there unless --gemm-all. */
  heavy?: boolean;
  /** Seed of the inputs (and of the model's weights). */
  seed: number;
}

const pair = (v: number | readonly [number, number] | undefined, d: number): [number, number] =>
  v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : [v[0], v[1]];

export function convWorkload(
  name: string,
  input: readonly [number, number, number, number],
  filter: readonly [number, number, number, number],
  options: Conv2dOptions,
  pass: ConvSpec['pass'],
  suite: Workload['suite'] = 'ops',
  seed = 1,
): Workload {
  const plan = planConv2d(input, filter, options);
  const spec: ConvSpec = {
    kind: 'conv2d',
    pass,
    input,
    filter,
    stride: [plan.strideHeight, plan.strideWidth],
    dilation: [plan.dilationHeight, plan.dilationWidth],
    pads: [plan.padTop, plan.padBottom, plan.padLeft, plan.padRight],
    groups: plan.groups,
  };
  const macs = plan.batch * plan.outChannels * plan.outHeight * plan.outWidth * (plan.inChannels / plan.groups) * plan.kernelHeight * plan.kernelWidth;
  const short = { forward: 'fwd', 'backward-input': 'bwd-input', 'backward-filter': 'bwd-filter' }[pass];
  return { id: `conv2d/${name}/${short}`, suite, title: `conv2d ${name} ${short}`, spec, flops: 2 * macs, seed };
}

export function poolWorkload(
  name: string,
  pool: 'max' | 'avg',
  input: readonly [number, number, number, number],
  options: Pool2dOptions,
  suite: Workload['suite'] = 'ops',
  seed = 2,
  pass?: PoolSpec['pass'],
): Workload {
  const plan = planPool2d(input, options);
  const spec: PoolSpec = {
    kind: 'pool2d',
    pool,
    ...(pass ? { pass } : {}),
    input,
    window: [plan.windowHeight, plan.windowWidth],
    stride: [plan.strideHeight, plan.strideWidth],
    pads: [plan.padTop, plan.padBottom, plan.padLeft, plan.padRight],
    ceilMode: plan.ceilMode,
    countIncludePad: plan.countIncludePad,
  };
  const inSize = input.reduce((a, b) => a * b, 1);
  const outSize = plan.outShape.reduce((a, b) => a * b, 1);
  if (!pass) return { id: `pool2d/${pool}/${name}`, suite, title: `${pool}Pool2d ${name}`, spec, bytes: 4 * (inSize + outSize), seed };
  if (pass === 'forward-train') {
    if (pool !== 'max') throw new Error(`poolWorkload: pass is 'forward-train' for ${pool} pooling but expected max pooling (the one whose training forward differs)`);
    // Reads x, writes y and, where windows overlap, the selected taps (output-sized).
    const bytes = 4 * (inSize + outSize + (maxPoolRecordsArgmax(plan) ? outSize : 0));
    return { id: `pool2d/max/${name}/fwd-train`, suite, title: `maxPool2d ${name} fwd-train`, spec, bytes, seed };
  }
  // The gradient reads dy and writes dx; max pooling's also reads the forward's selected taps (output-sized) where
  // windows overlap, else x (the training path's, see maxPoolRecordsArgmax).
  const extra = pool !== 'max' ? 0 : maxPoolRecordsArgmax(plan) ? outSize : inSize;
  const bytes = 4 * (inSize + outSize + extra);
  return { id: `pool2d/${pool}/${name}/bwd-input`, suite, title: `${pool}Pool2d ${name} bwd-input`, spec, bytes, seed };
}

export function modelWorkload(model: string, mode: 'train' | 'infer', batch: number, inputShape?: readonly [number, number, number], seed = 7): Workload {
  const entry = modelZoo[model];
  if (!entry) throw new Error(`model is '${model}' but expected one of ${Object.keys(modelZoo).join(', ')}`);
  const shape = (inputShape ?? entry.inputShape) as readonly [number, number, number];
  const numClasses = entry.numClasses;
  return {
    id: `model/${model}/${mode}/b${batch}${inputShape ? `/${shape.join('x')}` : ''}`,
    suite: 'models',
    title: `${model} ${mode === 'train' ? 'training step' : 'inference'} batch ${batch}${inputShape ? ` ${shape.join('x')}` : ''}`,
    spec: { kind: 'model', model, mode, batch, inputShape: shape, numClasses },
    images: batch,
    seed,
  };
}

const PASSES: ConvSpec['pass'][] = ['forward', 'backward-input', 'backward-filter'];

function convTriple(name: string, input: readonly [number, number, number, number], filter: readonly [number, number, number, number], options: Conv2dOptions): Workload[] {
  return PASSES.map((p) => convWorkload(name, input, filter, options, p));
}

export interface SuiteOptions {
  /** Tiny shapes, conformance cases, one repetition. */
  smoke?: boolean;
  /** Square GEMM size (default 4096); 0 leaves the GEMM out. */
  gemmSize?: number;
}

/** The one workload list every runner (ours and peers) executes. */
export function opWorkloads(options: SuiteOptions = {}): Workload[] {
  if (options.smoke) return smokeOpWorkloads();
  const out: Workload[] = [
    ...convTriple('3x3 64->64 8x56x56 pad1', [8, 64, 56, 56], [64, 64, 3, 3], { padding: 1 }),
    ...convTriple('5x5 1->6 256x28x28 pad2', [256, 1, 28, 28], [6, 1, 5, 5], { padding: 2 }),
    ...convTriple('1x1 64->256 8x56x56', [8, 64, 56, 56], [256, 64, 1, 1], {}),
    ...convTriple('3x3 s2 64->128 8x56x56 pad1', [8, 64, 56, 56], [128, 64, 3, 3], { stride: 2, padding: 1 }),
    ...convTriple('depthwise 3x3 64 8x56x56 pad1', [8, 64, 56, 56], [64, 1, 3, 3], { groups: 64, padding: 1 }),
    // DeepBench-style inference/training shapes (small batch, deep channels).
    ...convTriple('DeepBench 3x3 128->128 4x28x28 pad1', [4, 128, 28, 28], [128, 128, 3, 3], { padding: 1 }),
    ...convTriple('DeepBench 3x3 256->256 2x14x14 pad1', [2, 256, 14, 14], [256, 256, 3, 3], { padding: 1 }),
    ...convTriple('DeepBench 7x7 s2 3->64 2x224x224 pad3', [2, 3, 224, 224], [64, 3, 7, 7], { stride: 2, padding: 3 }),
    poolWorkload('3x3 s2 pad1 8x64x56x56', 'max', [8, 64, 56, 56], { window: 3, stride: 2, padding: 1 }),
    poolWorkload('2x2 s2 8x64x56x56', 'max', [8, 64, 56, 56], { window: 2, stride: 2 }),
    // Padded cells are not counted: the one convention every peer can express (TF.js has no other).
    poolWorkload('3x3 s2 pad1 8x64x56x56', 'avg', [8, 64, 56, 56], { window: 3, stride: 2, padding: 1, countIncludePad: false }),
    poolWorkload('2x2 s2 8x64x56x56', 'avg', [8, 64, 56, 56], { window: 2, stride: 2 }),
    // The max-pool forward a training step runs where it differs: overlapping windows record the selected taps.
    poolWorkload('3x3 s2 pad1 8x64x56x56', 'max', [8, 64, 56, 56], { window: 3, stride: 2, padding: 1 }, 'ops', 2, 'forward-train'),
    // The pooling gradients a training step runs (dx of each pool above).
    poolWorkload('3x3 s2 pad1 8x64x56x56', 'max', [8, 64, 56, 56], { window: 3, stride: 2, padding: 1 }, 'ops', 2, 'backward-input'),
    poolWorkload('2x2 s2 8x64x56x56', 'max', [8, 64, 56, 56], { window: 2, stride: 2 }, 'ops', 2, 'backward-input'),
    poolWorkload('3x3 s2 pad1 8x64x56x56', 'avg', [8, 64, 56, 56], { window: 3, stride: 2, padding: 1, countIncludePad: false }, 'ops', 2, 'backward-input'),
    poolWorkload('2x2 s2 8x64x56x56', 'avg', [8, 64, 56, 56], { window: 2, stride: 2 }, 'ops', 2, 'backward-input'),
    denseWorkload(256, 1024, 1024),
  ];
  const g = options.gemmSize ?? 4096;
  if (g > 0) out.push(matmulWorkload(g, g, g, g >= 1024));
  return out;
}

export function denseWorkload(batch: number, inFeatures: number, outFeatures: number, suite: Workload['suite'] = 'ops'): Workload {
  return {
    id: `dense/${inFeatures}->${outFeatures}/b${batch}`,
    suite,
    title: `dense ${inFeatures}->${outFeatures} batch ${batch}`,
    spec: { kind: 'dense', batch, inFeatures, outFeatures },
    flops: 2 * batch * inFeatures * outFeatures,
    seed: 3,
  };
}

export function matmulWorkload(m: number, k: number, n: number, heavy = false, suite: Workload['suite'] = 'ops'): Workload {
  return { id: `matmul/${m}x${k}x${n}`, suite, title: `GEMM ${m}x${k}x${n}`, spec: { kind: 'matmul', m, k, n }, flops: 2 * m * k * n, heavy, seed: 4 };
}

/** Conformance case shapes (the same lists the conformance suite runs), plus tiny dense/GEMM. */
function smokeOpWorkloads(): Workload[] {
  const out: Workload[] = [];
  const seen = new Set<string>();
  for (const c of conv2dCases) {
    // Residual cases are epilogue variants of shapes timed already.
    if (c.special || c.residual) continue;
    for (const p of PASSES) {
      const w = convWorkload(c.name, c.input, c.filter, c.options, p, 'ops', 11);
      if (!seen.has(w.id)) out.push(w), seen.add(w.id);
    }
  }
  for (const c of pool2dCases) {
    if (c.special) continue;
    for (const pass of [undefined, 'backward-input', 'forward-train'] as const) {
      if (pass === 'forward-train' && c.kind !== 'max') continue;
      const w = poolWorkload(c.name, c.kind, c.input, c.options, 'ops', 12, pass);
      if (!seen.has(w.id)) out.push(w), seen.add(w.id);
    }
  }
  out.push(denseWorkload(4, 32, 16), matmulWorkload(33, 17, 9));
  return out;
}

/** The same model workload (inference or training) run through a compiled model: its row sits beside the eager one. */
export function compiledWorkload(w: Workload): Workload {
  if (w.spec.kind !== 'model') throw new Error(`compiledWorkload: ${w.id} is not a model workload`);
  return { ...w, id: `${w.id}/compiled`, title: `${w.title} (compiled)`, spec: { ...w.spec, compiled: true } };
}

export function modelWorkloads(options: SuiteOptions = {}): Workload[] {
  if (options.smoke) {
    return [
      modelWorkload('lenet5', 'train', 2),
      modelWorkload('lenet5', 'infer', 2),
      modelWorkload('allCnnC', 'train', 2, [3, 16, 16]),
      modelWorkload('convPoolCnnC', 'infer', 2),
      modelWorkload('resnet20', 'train', 2),
      compiledWorkload(modelWorkload('resnet20', 'train', 2)),
      compiledWorkload(modelWorkload('resnet20', 'infer', 2)),
      modelWorkload('resnet18', 'infer', 1, [3, 32, 32]),
      compiledWorkload(modelWorkload('resnet18', 'infer', 1, [3, 32, 32])),
    ];
  }
  return [
    modelWorkload('lenet5', 'train', 64),
    modelWorkload('lenet5', 'infer', 256),
    modelWorkload('allCnnC', 'train', 32),
    modelWorkload('allCnnC', 'infer', 64),
    modelWorkload('convPoolCnnC', 'train', 32),
    modelWorkload('convPoolCnnC', 'infer', 64),
    modelWorkload('resnet20', 'train', 32),
    compiledWorkload(modelWorkload('resnet20', 'train', 32)),
    modelWorkload('resnet20', 'infer', 64),
    compiledWorkload(modelWorkload('resnet20', 'infer', 64)),
    modelWorkload('resnet18', 'infer', 2),
    compiledWorkload(modelWorkload('resnet18', 'infer', 2)),
  ];
}

export function suiteWorkloads(suite: 'ops' | 'models' | 'all', options: SuiteOptions = {}): Workload[] {
  if (suite === 'ops') return opWorkloads(options);
  if (suite === 'models') return modelWorkloads(options);
  return [...opWorkloads(options), ...modelWorkloads(options)];
}
