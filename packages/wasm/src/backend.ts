import { ArgumentError, SPEC_VERSION, type Backend, type BackendInfo, type BackendMemory, type KernelAttrs, type KernelName } from '@stridenet/core';
import { bindKernels } from './checks/call.js';
import { kernels } from './kernels/index.js';
import { WasmHandle, WasmRuntime } from './runtime.js';

export interface WasmBackendOptions {
  /**
   * Threads including the calling one. Default: the hardware threads (at most 8). 1 forces the
   * single-threaded build; where shared memory or workers are unavailable the backend falls back
   * to one thread and says why in info().notes.
   */
  threads?: number;
  /**
   * Work (multiply-adds or elements) below which a kernel stays on the calling thread, because
   * waking the workers costs more than it saves. Default 4194304 (about a millisecond); 0 splits every
   * kernel (tests).
   */
  minParallelWork?: number;
}

/** The runtime (raw linear memory, unchecked kernel launches) stays private to this package. */
export type WasmBackend = Backend<WasmHandle> & { dispose(): void };

const MAX_FLOATS = 2 ** 29; // the 2 GiB linear memory, in floats

/** Creates the WebAssembly backend (SIMD128; multi-threaded over shared memory where the host allows). */
export async function createWasmBackend(options: WasmBackendOptions = {}): Promise<WasmBackend> {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`createWasmBackend: options is ${String(options)}; expected an object such as { threads: 4 }`);
  }
  const rt = await WasmRuntime.create({ threads: options.threads, minParallelWork: options.minParallelWork });
  let disposed = false;
  const backend: WasmBackend = {
    name: 'wasm',
    specVersion: SPEC_VERSION,
    kernels: bindKernels(kernels, rt),
    upload(values: Float32Array): WasmHandle {
      if (!(values instanceof Float32Array)) throw new ArgumentError('wasm upload', 'values', Object.prototype.toString.call(values), 'a Float32Array');
      return rt.upload(values);
    },
    read(handle: WasmHandle): Promise<Float32Array> {
      return Promise.resolve(rt.read(handle, 'wasm read'));
    },
    readSync(handle: WasmHandle): Float32Array {
      return rt.read(handle, 'wasm readSync');
    },
    free(handle: WasmHandle): void {
      rt.free(handle, 'wasm free');
    },
    markConstant(handle: WasmHandle): void {
      rt.markConstant(handle);
    },
    supports<K extends KernelName>(kernel: K, attrs: KernelAttrs<K>): true | string {
      if (!(kernel in kernels)) return `the wasm backend has no kernel '${kernel}'`;
      const plan = (attrs as { plan?: { outShape?: readonly number[] } }).plan;
      const out = plan?.outShape?.reduce((a, b) => a * b, 1) ?? 0;
      if (out > MAX_FLOATS) return `plan.outShape: ${out} floats exceed the 2 GiB wasm32 memory`;
      return true;
    },
    memory(): BackendMemory {
      const a = rt.allocator;
      // Pooled blocks stay owned by the backend, so they count in buffers and bytes (see BackendMemory).
      return { buffers: a.liveBlocks + a.pooledBlocks, bytes: a.liveBytes + a.pooledBytes, pooledBytes: a.pooledBytes };
    },
    info(): BackendInfo {
      return {
        threads: rt.threads,
        simd: true,
        device: `WebAssembly SIMD128, ${rt.threads > 1 ? `${rt.threads} threads over shared memory` : 'one thread'}`,
        notes: [...rt.notes],
      };
    },
    sync(): Promise<void> {
      return Promise.resolve();
    },
    dispose(): void {
      if (disposed) return;
      disposed = true;
      rt.dispose();
    },
  };
  return backend;
}
