import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { BackendError } from '@stridenet/core';
import type { NativeHandle, NativeRuntime } from './handle.js';

/** Instruction-set paths of the native kernels (src/native/isa.h). */
export type NativeIsa = 'avx512' | 'avx2' | 'neon' | 'portable';

/** What the compiled addon exports (src/native/addon.cc). */
export interface NativeAddon {
  /** `isa`: a NativeIsa or 'auto' (the default); an unknown name is a TypeError, one this CPU lacks an Error. */
  createRuntime(threads: number, isa?: string): NativeRuntime;
  disposeRuntime(runtime: NativeRuntime): void;
  upload(runtime: NativeRuntime, values: Float32Array): NativeHandle;
  read(handle: NativeHandle): Promise<Float32Array>;
  readSync(handle: NativeHandle): Float32Array;
  free(handle: NativeHandle): void;
  size(handle: NativeHandle): number;
  sync(runtime: NativeRuntime): Promise<void>;
  finish(runtime: NativeRuntime): void;
  memory(runtime: NativeRuntime): { buffers: number; bytes: number; pooledBytes: number };
  info(): {
    avx2: boolean;
    avx512: boolean;
    /** The ISA paths this CPU and build run, fastest first ('portable' always last). */
    isas: NativeIsa[];
    arch: 'x86-64' | 'arm64' | 'other';
    blockCache: boolean;
    hardwareThreads: number;
  };
  /** Validates sizes against the plan, queues the kernel and returns its output handle(s) at once. */
  run(
    kernel: string,
    inputs: readonly (NativeHandle | null)[],
    encoded: Int32Array,
    numbers: readonly number[],
  ): NativeHandle | NativeHandle[] | undefined;
}

let loaded: NativeAddon | undefined;

/** Package root: this file sits one level below it both as src/addon.ts and bundled as dist/index.*. */
export function packageRoot(): string {
  return fileURLToPath(new URL('..', import.meta.url));
}

/**
 * Loads the binary once: prebuilds/<platform>-<arch>/ or build/Release/ through node-gyp-build.
 * STRIDENET_NATIVE_ADDON (a path to a .node file) is read only by the ASan test run.
 */
export function addon(): NativeAddon {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  const override = process.env.STRIDENET_NATIVE_ADDON;
  try {
    loaded = (override ? require(override) : require('node-gyp-build')(packageRoot())) as NativeAddon;
  } catch (e) {
    throw new BackendError(
      `native: could not load the compiled addon (${(e as Error).message.split('\n')[0]}); ` +
        'build it with `pnpm --filter @stridenet/native build:addon` (needs a C++ compiler) or install a prebuilt binary',
    );
  }
  return loaded;
}

export function one(kernel: string, out: NativeHandle | NativeHandle[] | undefined): NativeHandle {
  if (out === undefined || Array.isArray(out)) throw new BackendError(`native: ${kernel} returned no single output`);
  return out;
}

export function three(kernel: string, out: NativeHandle | NativeHandle[] | undefined): [NativeHandle, NativeHandle, NativeHandle] {
  if (!Array.isArray(out) || out.length !== 3) throw new BackendError(`native: ${kernel} did not return three outputs`);
  return [out[0]!, out[1]!, out[2]!];
}

/** Kernels without a plan pass their element count as a one-entry encoding. */
export function sizeEncoding(size: number): Int32Array {
  return Int32Array.of(size);
}
