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
} from '@stridenet/core';
import { addon } from './addon.js';
import type { NativeHandle } from './handle.js';
import { kernels } from './kernels/index.js';
import { BINARY_CODES, REDUCE_CODES, UNARY_CODES } from './op-codes.js';

export interface NativeBackendOptions {
  /** Worker threads used by each kernel (the queue thread included). Default: os.availableParallelism(). */
  threads?: number;
  /**
   * Use the AVX-512 direct convolution kernels when the CPU has AVX-512F (default true). false keeps
   * this backend on the AVX2/FMA GEMM path, e.g. to compare the two or to test that path.
   */
  avx512?: boolean;
}

export type NativeBackend = Backend<NativeHandle> & {
  readonly threads: number;
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
  const native = addon();
  const features = native.info();
  const avx512 = (options.avx512 ?? true) && features.avx512;
  const runtime = native.createRuntime(threads, avx512);
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
    kernels,
    upload: (values: Float32Array) => native.upload(runtime, values),
    read: (handle: NativeHandle) => native.read(handle),
    readSync: (handle: NativeHandle) => native.readSync(handle),
    free: (handle: NativeHandle) => native.free(handle),
    supports,
    memory: (): BackendMemory => native.memory(runtime),
    info: (): BackendInfo => ({
      threads,
      simd: features.avx2,
      device: `${avx512 ? 'x86-64 AVX-512 (direct convolutions) + AVX2/FMA' : features.avx2 ? 'x86-64 AVX2/FMA' : 'portable (no AVX2/FMA)'} CPU, ${features.hardwareThreads} hardware threads`,
      notes: ['kernels run on a native command queue; reads wait only for the work producing the buffer'],
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
