import { SPEC_VERSION, type Backend, type BackendInfo, type BackendMemory, type KernelAttrs, type KernelName } from '@stridenet/core';
import { liveStats, release, track } from './buffers.js';
import { kernels } from './kernels/index.js';
import { BINARY_OPS } from './kernels/binary.js';
import { UNARY_OPS } from './kernels/unary.js';

export type CpuHandle = Float32Array;

function copyOut(handle: Float32Array, what: string): Float32Array {
  if (!(handle instanceof Float32Array)) {
    throw new TypeError(`cpu-js ${what}: handle is ${Object.prototype.toString.call(handle)} but expected a Float32Array`);
  }
  return handle.slice();
}

/**
 * Declares what this backend runs. Every kernel and every plan option is implemented; the checks
 * only reject op names outside the spec (e.g. from a newer core), so they fail with a reason rather
 * than a wrong answer.
 */
function supports<K extends KernelName>(kernel: K, attrs: KernelAttrs<K>): true | string {
  if (!(kernel in kernels)) return `kernel ${String(kernel)} is not part of spec ${SPEC_VERSION}`;
  const op = (attrs as { op?: unknown }).op;
  if (kernel === 'Binary' && !(typeof op === 'string' && op in BINARY_OPS)) {
    return `op ${JSON.stringify(op)} is not one of ${Object.keys(BINARY_OPS).join(', ')}`;
  }
  if ((kernel === 'Unary' || kernel === 'UnaryGrad') && !UNARY_OPS.includes(op as never)) {
    return `op ${JSON.stringify(op)} is not one of ${UNARY_OPS.join(', ')}`;
  }
  if (kernel === 'Reduce' && op !== 'sum' && op !== 'mean' && op !== 'max') {
    return `op ${JSON.stringify(op)} is not one of sum, mean, max`;
  }
  return true;
}

/**
 * The pure TypeScript backend: handles are Float32Arrays, every kernel runs synchronously on the
 * calling thread. Memory figures cover every cpu-js backend instance of this JavaScript realm.
 */
export async function createCpuBackend(): Promise<Backend<CpuHandle>> {
  const backend: Backend<CpuHandle> = {
    name: 'cpu-js',
    specVersion: SPEC_VERSION,
    kernels,
    upload(values: Float32Array): CpuHandle {
      if (!(values instanceof Float32Array)) {
        throw new TypeError(`cpu-js upload: values is ${Object.prototype.toString.call(values)} but expected a Float32Array`);
      }
      return track(values.slice());
    },
    read: async (handle) => copyOut(handle, 'read'),
    readSync: (handle) => copyOut(handle, 'readSync'),
    free(handle: CpuHandle): void {
      release(handle);
    },
    supports,
    memory(): BackendMemory {
      return liveStats();
    },
    info(): BackendInfo {
      return { threads: 1, simd: false, device: 'JavaScript (single thread)' };
    },
    sync: async () => {},
  };
  return backend;
}
