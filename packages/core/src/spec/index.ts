/**
 * The kernel contract: every kernel a backend implements, declared once as data in ./kernels.ts
 * (inputs, attributes, outputs, plan kind, enum codes, plan encodings) with the static types derived
 * from it in ./types.ts. Shapes are never re-derived by kernels: each carries a frozen plan from core.
 * All buffers are dense row-major float32; layouts are NCHW (input/output) and OIHW (filters).
 * tools/spec-gen writes every backend's ABI from the same data (`pnpm spec:gen`, checked by `pnpm spec:check`).
 */
import type { RngState } from '../random/philox.js';
import type { EnumValue } from './encoding.js';
import { KERNELS } from './kernels.js';
import type { KernelDefs, KernelName } from './types.js';

export { ENUMS, KERNELS, PLAN_ENCODINGS, SPEC_MAX_RANK, type AttrKind, type EnumName, type KernelSpec, type PlanKind } from './kernels.js';
export { encodingOffsets, enumCodes, type EncodingOffsets, type EnumValue } from './encoding.js';
export { kernelSpellings, type KernelSpellings } from './names.js';
export type { KernelDefs, KernelName, PlanTypes } from './types.js';

/**
 * Bumped when a kernel's signature or semantics change; backends declare the version they implement.
 * 2: Conv2D takes an optional `residual` added before the activation (a backend of 1 would ignore it).
 * 3: BatchNormTrain takes an optional `residual`, an `activation` and running statistics it updates in
 *    place (`momentum`); BatchNormGrad takes the `activation` and the fused output `y`.
 * 4: SgdUpdateMany, AdamUpdateMany and AllFinite (multi-tensor kernels over a tensorList plan).
 * 5: Conv2D takes an optional `noGrad` (no gradient is recorded through the call: inference-only
 *    algorithms may run; a backend of 4 ignores it and stays exact as before).
 * 6: MaxPool2DArgmax (the forward that returns each window's selected tap) and MaxPool2DGradArgmax (the
 *    gradient from those taps): max pooling's training path.
 * 7: MatMul takes an optional `noGrad`, as Conv2D does (a backend of 6 ignores it and stays as before).
 */
export const SPEC_VERSION = 7 as const;
export type SpecVersion = typeof SPEC_VERSION;

/** Activation fused into Conv2D and MatMul after the optional bias. */
export type FusedActivation = EnumValue<'activation'>;
export type BinaryOp = EnumValue<'binaryOp'>;
/** Unary ops; see ENUMS.unaryOp for `alpha` and the gradients UnaryGrad returns. */
export type UnaryOp = EnumValue<'unaryOp'>;
export type ReduceOp = EnumValue<'reduceOp'>;

/** SgdUpdate attributes. PyTorch semantics: d = g + wd * p; v = momentum * v + d; step = nesterov ? d + momentum * v : v. */
export type SgdAttrs = KernelAttrs<'SgdUpdate'>;
/** AdamUpdate attributes. decoupled (AdamW): p -= lr * wd * p before the Adam step, otherwise g += wd * p; step is 1-based. */
export type AdamAttrs = KernelAttrs<'AdamUpdate'>;
/** SgdUpdateMany attributes: SgdAttrs for every listed tensor, sizes from the tensorList plan. */
export type SgdManyAttrs = KernelAttrs<'SgdUpdateMany'>;
/** AdamUpdateMany attributes: AdamAttrs for every listed tensor, sizes from the tensorList plan. */
export type AdamManyAttrs = KernelAttrs<'AdamUpdateMany'>;

/** Every kernel name, in the spec's order. */
export const KERNEL_NAMES: readonly KernelName[] = Object.freeze(Object.keys(KERNELS) as KernelName[]);

/** Kernels that return several handles (an array), e.g. BatchNormTrain's [y, mean, variance]. */
export function isMultiOutput(kernel: KernelName): boolean {
  return KERNELS[kernel].outputs.length > 1;
}

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
  /**
   * Activation bytes a compiled inference run should keep per batch slice on this backend (compile's
   * maxActivationBytes 'auto'); absent: compiled runs keep whole batches. Set where slicing measured no
   * slower (kernels that prepare constant weights once, not per call).
   */
  compiledSliceBytes?: number;
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
  /**
   * Core's promise that `handle`'s contents never change while it lives (compile()'s folded weights). The
   * backend may keep forms of it that kernels read in its place (packed or Winograd-transformed filters),
   * made once and freed with it, and may pick algorithms that only pay with such forms; results stay
   * within each kernel's tolerance. Optional: a backend without it computes from the buffer on every call.
   */
  markConstant?(handle: H): void;
  /**
   * A new buffer of `n` (> 0) floats equal to `Rng.fromState(state).uniform(n)`, drawn by the backend (the
   * same Philox4x32-10 bits), so that dropout's noise needs no host draw and upload. Optional: without it
   * core draws the values and uploads them.
   */
  uniform?(n: number, state: RngState): H;
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
