import { createRequire } from 'node:module';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BackendError } from '@stridenet/core';
import type { NativeHandle, NativeRuntime } from './handle.js';

/** Instruction-set paths of the native kernels (src/native/isa.h). */
export type NativeIsa = 'avx512' | 'avx2' | 'neon' | 'portable';

/** What the compiled addon exports (src/native/addon.cc). */
export interface NativeAddon {
  /**
   * `isa`: a NativeIsa or 'auto' (the default); an unknown name is a TypeError, one this CPU lacks an Error.
   * `dispatch`: a NativeDispatch (default 'auto'); an unknown name is a TypeError.
   */
  createRuntime(threads: number, isa?: string, dispatch?: string): NativeRuntime;
  disposeRuntime(runtime: NativeRuntime): void;
  upload(runtime: NativeRuntime, values: Float32Array): NativeHandle;
  read(handle: NativeHandle): Promise<Float32Array>;
  readSync(handle: NativeHandle): Float32Array;
  free(handle: NativeHandle): void;
  size(handle: NativeHandle): number;
  /** Backend.markConstant: the buffer's contents never change while it lives (a freed or foreign handle throws). */
  markConstant(handle: NativeHandle): void;
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
  /**
   * Sets how long (microseconds) busy pools' threads check for work before sleeping, and whether they yield
   * the core between checks; returns the previous duration.
   */
  warmSpin(microseconds?: number, yields?: boolean): number;
  /**
   * Sets whether pools give each thread its own block of a run's tasks (so it keeps to the same images from
   * layer to layer) rather than one shared counter; returns the previous setting.
   */
  taskBlocks(on?: boolean): boolean;
  /** trace(true) clears and starts the runtime timeline; trace(false) stops it and returns it (src/trace.ts). */
  trace(on: true): undefined;
  trace(on: false): { names: string[]; events: Float64Array };
  /**
   * Backend.uniform: queues a draw of n floats equal to core's `Rng.fromState(state).uniform(n)`, state as
   * [key0, key1, counter0, counter1, counter2, counter3]; returns the handle at once.
   */
  uniform(runtime: NativeRuntime, n: number, state: readonly number[]): NativeHandle;
  /** Validates sizes against the plan, queues the kernel and returns its output handle(s) at once. */
  run(
    kernel: string,
    inputs: readonly (NativeHandle | null)[],
    encoded: Int32Array,
    numbers: readonly number[],
  ): NativeHandle | NativeHandle[] | undefined;
}

/** Which compiled binary the backend runs, as `nativeBinary()` reports it. */
export interface NativeBinary {
  /** Absolute path of the loaded .node file. */
  path: string;
  /**
   * 'prebuild': shipped in the package (prebuilds/<platform>-<arch>/); 'build': compiled from source
   * (build/Release/, which node-gyp-build prefers when present); 'override': STRIDENET_NATIVE_ADDON.
   */
  source: 'prebuild' | 'build' | 'override';
}

let loaded: { addon: NativeAddon; binary: NativeBinary } | undefined;

/** Package root: this file sits one level below it both as src/addon.ts and bundled as dist/index.*. */
export function packageRoot(): string {
  return fileURLToPath(new URL('..', import.meta.url));
}

/** How a user of the installed package builds the addon (scripts/build-addon.mjs says the same). */
export const BUILD_COMMAND = 'npm explore @stridenet/native -- npm run build:addon';

function load(): { addon: NativeAddon; binary: NativeBinary } {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  const override = process.env.STRIDENET_NATIVE_ADDON;
  const root = packageRoot();
  let file: string | undefined;
  try {
    file = override ? resolve(override) : (require('node-gyp-build') as { resolve(dir: string): string }).resolve(root);
    const addon = require(file) as NativeAddon;
    const inPrebuilds = relative(join(root, 'prebuilds'), file);
    const source = override ? 'override' : inPrebuilds.startsWith('..') || isAbsolute(inPrebuilds) ? 'build' : 'prebuild';
    loaded = { addon, binary: { path: file, source } };
  } catch (e) {
    const reason = (e as Error).message.split('\n')[0];
    throw new BackendError(
      `native: could not load the compiled addon (${file ? `${file}: ` : ''}${reason}). ` +
        `Build it from source with \`${BUILD_COMMAND}\` (needs a C++17 compiler, make and python3; ` +
        'the README of @stridenet/native lists the platforms with prebuilt binaries)',
    );
  }
  return loaded;
}

/**
 * Loads the binary once: build/Release/ (a build from source) or else prebuilds/<platform>-<arch>/,
 * through node-gyp-build. STRIDENET_NATIVE_ADDON (a path to a .node file) is read only by the ASan
 * and arm64 test runs.
 */
export function addon(): NativeAddon {
  return load().addon;
}

/** The binary file the native backend loads (loading it if needed): a prebuild or a build from source. */
export function nativeBinary(): NativeBinary {
  return { ...load().binary };
}

export function one(kernel: string, out: NativeHandle | NativeHandle[] | undefined): NativeHandle {
  if (out === undefined || Array.isArray(out)) throw new BackendError(`native: ${kernel} returned no single output`);
  return out;
}

export function two(kernel: string, out: NativeHandle | NativeHandle[] | undefined): [NativeHandle, NativeHandle] {
  if (!Array.isArray(out) || out.length !== 2) throw new BackendError(`native: ${kernel} did not return two outputs`);
  return [out[0]!, out[1]!];
}

export function three(kernel: string, out: NativeHandle | NativeHandle[] | undefined): [NativeHandle, NativeHandle, NativeHandle] {
  if (!Array.isArray(out) || out.length !== 3) throw new BackendError(`native: ${kernel} did not return three outputs`);
  return [out[0]!, out[1]!, out[2]!];
}

/** Kernels without a plan pass their element count as a one-entry encoding. */
export function sizeEncoding(size: number): Int32Array {
  return Int32Array.of(size);
}
