import { availableParallelism } from 'node:os';
import {
  ArgumentError,
  BackendError,
  SPEC_VERSION,
  type Backend,
  type BackendInfo,
  type BackendMemory,
  type KernelAttrs,
  type KernelName,
  type RngState,
} from '@stridenet/core';
import { addon, nativeBinary, type NativeIsa } from './addon.js';
import type { NativeHandle } from './handle.js';
import { kernels } from './kernels/index.js';
import { BINARY_CODES, REDUCE_CODES, UNARY_CODES } from './op-codes.js';

export interface NativeBackendOptions {
  /** Worker threads used by each kernel (the queue thread included). Default: os.availableParallelism(). */
  threads?: number;
  /**
   * Instruction-set path of the convolution, pooling and GEMM kernels (one kernel design compiled for
   * each): 'auto' (default) takes the fastest this CPU runs, in the order 'avx512', 'avx2', 'neon',
   * 'portable'. Naming a path the CPU lacks is an error that lists what it has; `nativeIsas()` tells.
   */
  isa?: NativeIsa | 'auto';
  /**
   * Where kernels run. 'queue': on the backend's queue thread, so that JavaScript issues the next kernels
   * while they run (small kernels issued while the queue is idle still run on the calling thread). 'caller':
   * every kernel on the calling thread, before the call returns. 'auto' (default): 'caller' while the process
   * may run on one CPU only (its affinity mask: `taskset -c 0`, a one-CPU cpuset), where a queue thread could
   * not run beside JavaScript and each hand-off costs two context switches; 'queue' otherwise. Read again as
   * kernels are issued (at most every 10 ms), so pinning the process later takes effect.
   */
  dispatch?: NativeDispatch;
  /** @deprecated Use `isa`. false is `isa: 'auto'` without AVX-512 (the AVX2 path on an AVX-512 CPU). */
  avx512?: boolean;
}

const ISAS: readonly NativeIsa[] = ['avx512', 'avx2', 'neon', 'portable'];

/** Where a native backend's kernels run (NativeBackendOptions.dispatch). */
export type NativeDispatch = 'auto' | 'queue' | 'caller';
const DISPATCHES: readonly NativeDispatch[] = ['auto', 'queue', 'caller'];

/** The ISA paths this CPU and build run, fastest first (the first is what `isa: 'auto'` takes). */
export function nativeIsas(): NativeIsa[] {
  return addon().info().isas;
}

/**
 * Activation bytes per batch slice of a compiled inference run, per pool thread (ResNet-20 b64: 1 thread 4 MiB,
 * slices of 16; 2 threads 8 MiB, whole batches). The pool gives each thread its own samples, so each core's
 * cache holds its share of a slice: at 2 threads slices of 16 measured 2-4% slower than whole batches (README).
 */
const COMPILED_SLICE_BYTES_PER_THREAD = 4 * 1024 * 1024;

const ISA_LABELS: Record<NativeIsa, string> = {
  avx512: 'AVX-512',
  avx2: 'AVX2/FMA',
  neon: 'NEON',
  portable: 'portable (4-lane vector extensions)',
};

export type NativeBackend = Backend<NativeHandle> & {
  readonly threads: number;
  /** The ISA path this backend's kernels run. */
  readonly isa: NativeIsa;
  /** Where its kernels run (the `dispatch` option; 'auto' decides as kernels are issued). */
  readonly dispatch: NativeDispatch;
  /** Blocks until every queued kernel has run (for profiling: `sync` is the non-blocking form). */
  finish(): void;
};

/**
 * Creates a native backend: its own thread pool and command queue. Kernel calls validate their
 * arguments, queue the work and return at once; `read` resolves when the producing work is done.
 */
export async function createNativeBackend(options: NativeBackendOptions = {}): Promise<NativeBackend> {
  if (options === null || typeof options !== 'object') {
    throw new ArgumentError('createNativeBackend', 'options', options, 'an object such as { threads: 4 }');
  }
  const threads = options.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 1 || threads > 256) {
    throw new ArgumentError('createNativeBackend', 'threads', threads, 'an integer from 1 to 256');
  }
  if (options.avx512 !== undefined && typeof options.avx512 !== 'boolean') {
    throw new ArgumentError('createNativeBackend', 'avx512', options.avx512, 'true or false');
  }
  if (options.isa !== undefined && options.isa !== 'auto' && !ISAS.includes(options.isa)) {
    throw new ArgumentError('createNativeBackend', 'isa', options.isa, `'auto' or one of ${ISAS.map((i) => `'${i}'`).join(', ')}`);
  }
  if (options.dispatch !== undefined && !DISPATCHES.includes(options.dispatch)) {
    throw new ArgumentError('createNativeBackend', 'dispatch', options.dispatch, `'auto', 'queue' or 'caller'`);
  }
  if (options.isa !== undefined && options.avx512 !== undefined) {
    throw new ArgumentError('createNativeBackend', 'avx512', options.avx512, 'to be left out when isa is given (avx512 is deprecated)');
  }
  const native = addon();
  const binary = nativeBinary();
  const features = native.info();
  const isas = options.avx512 === false ? features.isas.filter((i) => i !== 'avx512') : features.isas;
  const isa = options.isa === undefined || options.isa === 'auto' ? isas[0]! : options.isa;
  if (!features.isas.includes(isa)) {
    throw new ArgumentError(
      'createNativeBackend',
      'isa',
      isa,
      `one this ${features.arch} CPU runs: ${features.isas.map((i) => `'${i}'`).join(', ')} (or 'auto')`,
    );
  }
  const dispatch = options.dispatch ?? 'auto';
  const runtime = native.createRuntime(threads, isa, dispatch);
  let disposed = false;

  const supports = <K extends KernelName>(kernel: K, attrs: KernelAttrs<K>): true | string => {
    if (!(kernel in kernels)) return `native backend has no kernel '${kernel}'`;
    const op = (attrs as { op?: unknown }).op;
    if (kernel === 'Binary' && !(typeof op === 'string' && op in BINARY_CODES)) return `op '${String(op)}' is not a binary op`;
    if ((kernel === 'Unary' || kernel === 'UnaryGrad') && !(typeof op === 'string' && op in UNARY_CODES)) {
      return `op '${String(op)}' is not a unary op`;
    }
    if (kernel === 'Reduce' && !(typeof op === 'string' && op in REDUCE_CODES)) return `op '${String(op)}' is not a reduce op`;
    return true;
  };

  return {
    name: 'native',
    specVersion: SPEC_VERSION,
    threads,
    isa,
    dispatch,
    kernels,
    upload: (values: Float32Array) => native.upload(runtime, values),
    read: (handle: NativeHandle) => native.read(handle),
    readSync: (handle: NativeHandle) => native.readSync(handle),
    free: (handle: NativeHandle) => native.free(handle),
    markConstant: (handle: NativeHandle) => native.markConstant(handle),
    uniform: (n: number, state: RngState) => native.uniform(runtime, n, [...state.key, ...state.counter]),
    supports,
    memory: (): BackendMemory => native.memory(runtime),
    info: (): BackendInfo => ({
      threads,
      simd: isa !== 'portable',
      device: `${features.arch} CPU, ${ISA_LABELS[isa]} kernels, ${features.hardwareThreads} hardware threads`,
      notes: [
        dispatch === 'caller'
          ? 'kernels run on the calling thread'
          : `kernels run on a native command queue${dispatch === 'auto' ? ' (on the calling thread while the process may use one CPU only)' : ''}; reads wait only for the work producing the buffer`,
        `binary: ${binary.path} (${binary.source})`,
      ],
      // Filters are packed once per constant, so compiled batch slices cost no repacking (core README).
      compiledSliceBytes: COMPILED_SLICE_BYTES_PER_THREAD * threads,
    }),
    sync: () => native.sync(runtime),
    finish: () => native.finish(runtime),
    dispose: () => {
      if (disposed) return;
      disposed = true;
      native.disposeRuntime(runtime);
    },
  };
}

/** Throws a clear error when the compiled addon cannot be loaded; otherwise returns its CPU features. */
export function nativeAvailable(): true | string {
  try {
    addon();
    return true;
  } catch (e) {
    return e instanceof BackendError ? e.message : String(e);
  }
}
