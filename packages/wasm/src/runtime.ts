import { BackendError, DisposedError, StridenetError } from '@stridenet/core';
import { Allocator } from './allocator.js';
import { liveHandle, mintHandle, retireHandle, type WasmHandle } from './handle.js';
import { ThreadPool, detectThreads } from './threads.js';
import { EXPORTS, type ExportName } from './exports.js';

export { EXPORTS, type ExportName };
import { wasmSingle, wasmThreads } from './generated/wasm.js';

/** Constants shared with assembly/ (gemm.ts, common.ts). */
export const MR = 4;
export const NR = 8;
export const KC = 256;
export const TILE_FLOATS = MR * NR + MR;
export const CHUNK = 16384;
/** Over-read slack of the pooling row buffer (assembly/pool-rows.ts V_SLACK). */
const POOL_V_SLACK = 16;

/** Floats of the padded row buffer a separable pooling kernel needs per thread (assembly/pool-rows.ts). */
export function poolRowFloats(plan: { outWidth: number; strideWidth: number; windowWidth: number }): number {
  return (plan.outWidth - 1) * plan.strideWidth + plan.windowWidth + POOL_V_SLACK;
}
const FRAME_SLOTS = 16;
/**
 * Most bytes kept in forms derived from constants (Winograd F(4x4) filter transforms are 4x their filter:
 * ResNet-20 4 MB, ResNet-18 about 180 MB); past it, further constants run as plain buffers.
 */
export const MAX_DERIVED_BYTES = 256 * 1024 * 1024;
const MAX_PAGES = 32768;
const INITIAL_PAGES = 256;

/**
 * Work (multiply-adds or element touches) below which a kernel runs on the calling thread alone:
 * about a millisecond or less. Waking a worker costs tens of microseconds on an idle machine, but on
 * a busy one a worker descheduled while holding a claim stalls the kernel for a scheduler time
 * slice (milliseconds), which only a longer kernel can absorb.
 */
const PARALLEL_WORK = 1 << 22;
/** Work per claim of units from the shared counter (see run()). */
const CLAIM_WORK = 1 << 20;


type KernelExport = (frame: number, u0: number, u1: number, scratch: number) => void;

/** A frame argument: an i32 (pointer, count, flag) or an f32 written bit-exactly. */
export type FrameArg = number | { f32: number };
export const f32 = (v: number): { f32: number } => ({ f32: v });

export { WasmHandle } from './handle.js';

export interface RunOptions {
  /** Scratch bytes each thread needs (default 64, enough for index odometers). */
  scratchBytes?: number;
  /** Total work estimate; small kernels stay on one thread. */
  work?: number;
  /** Units claimed at once (default: about 4 claims per thread). */
  grain?: number;
}

function decode(base64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(base64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export interface RuntimeOptions {
  threads?: number;
  minParallelWork?: number;
}

/** One instance of the module, its memory, allocator and (optionally) worker pool. */
export class WasmRuntime {
  readonly notes: string[] = [];
  private f32View: Float32Array;
  private i32View: Int32Array;
  private readonly fns: KernelExport[];
  liveHandles = 0;
  disposed = false;
  /**
   * Handles core marked constant (Backend.markConstant), each with the blocks kernels derived from it
   * by layout key (prepared filters); released when the handle is freed.
   */
  private readonly constants = new Map<WasmHandle, Map<string, { ptr: number; bytes: number }>>();
  /** Bytes of all derived blocks; none is made past MAX_DERIVED_BYTES (kernels then derive per call). */
  derivedBytes = 0;
  minParallelWork = PARALLEL_WORK;

  private constructor(
    readonly memory: WebAssembly.Memory,
    readonly exports: Record<string, unknown>,
    readonly allocator: Allocator,
    readonly pool: ThreadPool | null,
  ) {
    this.f32View = new Float32Array(memory.buffer);
    this.i32View = new Int32Array(memory.buffer);
    this.fns = EXPORTS.map((n) => exports[n] as KernelExport);
  }

  static async create(options: RuntimeOptions = {}): Promise<WasmRuntime> {
    const requested = options.threads;
    if (requested !== undefined && !(Number.isInteger(requested) && requested >= 1)) {
      throw new RangeError(`createWasmBackend: options.threads is ${String(requested)}; expected a positive integer`);
    }
    if (typeof WebAssembly === 'undefined') throw new Error('createWasmBackend: WebAssembly is not available in this environment');
    const support = detectThreads();
    const notes: string[] = [];
    let threads = requested ?? Math.min(support.hardwareThreads, 8);
    if (threads > 1 && !support.ok) {
      notes.push(`single-threaded: ${support.reason}`);
      threads = 1;
    } else if (threads === 1) {
      notes.push(requested === 1 ? 'single-threaded: options.threads is 1' : 'single-threaded: one hardware thread');
    }
    const shared = threads > 1;
    const bytes = decode(shared ? wasmThreads : wasmSingle);
    if (!WebAssembly.validate(bytes)) {
      throw new Error('createWasmBackend: this WebAssembly engine rejects the module; it needs SIMD128 (and threads for threads > 1)');
    }
    const module = await WebAssembly.compile(bytes);
    const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAX_PAGES, shared });
    const instance = await WebAssembly.instantiate(module, { env: { memory } });
    const exports = instance.exports as Record<string, unknown>;
    const base = (exports.heapBase as () => number)();
    const allocator = new Allocator(memory, base, MAX_PAGES * 65536);
    let pool: ThreadPool | null = null;
    if (shared) {
      try {
        pool = await ThreadPool.start(threads, module, memory, EXPORTS, support.canBlock);
      } catch (e) {
        // Memory is already shared, which the single-threaded path runs on just as well.
        notes.push(`single-threaded: starting ${threads - 1} workers failed (${(e as Error).message})`);
      }
    }
    const rt = new WasmRuntime(memory, exports, allocator, pool);
    rt.notes.push(...notes);
    const minWork = options.minParallelWork;
    if (minWork !== undefined) {
      if (!(Number.isFinite(minWork) && minWork >= 0)) {
        throw new RangeError(`createWasmBackend: options.minParallelWork is ${String(minWork)}; expected a non-negative number`);
      }
      rt.minParallelWork = minWork;
    }
    return rt;
  }

  get threads(): number {
    return this.pool?.size ?? 1;
  }

  /** Views over the current memory (recreated after growth). */
  get heapF32(): Float32Array {
    if (this.f32View.byteLength !== this.memory.buffer.byteLength) this.refresh();
    return this.f32View;
  }

  get heapI32(): Int32Array {
    if (this.i32View.byteLength !== this.memory.buffer.byteLength) this.refresh();
    return this.i32View;
  }

  private refresh(): void {
    this.f32View = new Float32Array(this.memory.buffer);
    this.i32View = new Int32Array(this.memory.buffer);
  }

  /** A tensor buffer of `size` floats (contents undefined); only this runtime mints handles. */
  alloc(size: number): WasmHandle {
    const h = mintHandle(this, this.allocator.alloc(Math.max(1, size) * 4), size);
    this.liveHandles += 1;
    return h;
  }

  /** Frees a live handle of this runtime (and what was derived from it); a freed, forged or foreign one is a typed error. */
  free(h: unknown, op = 'wasm free'): void {
    const s = liveHandle(h, this, op, 'handle');
    retireHandle(h as WasmHandle);
    this.unmarkConstant(h as WasmHandle);
    this.allocator.release(s.ptr);
    this.liveHandles -= 1;
  }

  /** Records core's promise that a live handle's contents never change again (Backend.markConstant). */
  markConstant(h: unknown, op = 'wasm markConstant'): void {
    this.checkLive('markConstant()');
    liveHandle(h, this, op, 'handle');
    if (!this.constants.has(h as WasmHandle)) this.constants.set(h as WasmHandle, new Map());
  }

  /** h is no longer constant (freed, or written in place): releases what was derived from it. */
  unmarkConstant(h: WasmHandle): void {
    for (const d of this.constants.get(h)?.values() ?? []) {
      this.allocator.release(d.ptr);
      this.derivedBytes -= d.bytes;
    }
    this.constants.delete(h);
  }

  /**
   * The block of `bytes` in layout `key` derived from constant handle `h`, made by `build(ptr)` on first
   * use and kept until h is freed; undefined when h is not constant, or when the derived blocks would
   * pass MAX_DERIVED_BYTES (the kernel then works from h itself).
   */
  derived(h: WasmHandle, key: string, bytes: number, build: (ptr: number) => void): number | undefined {
    const forms = this.constants.get(h);
    if (forms === undefined) return undefined;
    const have = forms.get(key);
    if (have !== undefined) return have.ptr;
    if (this.derivedBytes + bytes > MAX_DERIVED_BYTES) return undefined;
    const ptr = this.allocator.alloc(bytes);
    try {
      build(ptr);
    } catch (e) {
      this.allocator.release(ptr);
      throw e;
    }
    forms.set(key, { ptr, bytes });
    this.derivedBytes += bytes;
    return ptr;
  }

  upload(values: Float32Array): WasmHandle {
    this.checkLive('upload()');
    const h = this.alloc(values.length);
    this.heapF32.set(values, this.ptrOf(h) >> 2);
    return h;
  }

  read(h: unknown, op = 'wasm read'): Float32Array {
    this.checkLive('read()');
    const s = liveHandle(h, this, op, 'handle');
    return this.heapF32.slice(s.ptr >> 2, (s.ptr >> 2) + s.size);
  }

  /** Byte offset of a live handle of this runtime. */
  ptrOf(h: WasmHandle, op = 'wasm backend', what = 'handle'): number {
    return liveHandle(h, this, op, what).ptr;
  }

  checkLive(what: string): void {
    if (this.disposed) throw new DisposedError(`wasm backend (${what} called after dispose())`);
  }

  /** Writes a call frame: FRAME_SLOTS argument slots, then the plan encoding. Free with release(). */
  frame(args: readonly FrameArg[], plan?: Int32Array | readonly number[]): number {
    if (args.length > FRAME_SLOTS) throw new Error(`wasm backend: ${args.length} frame arguments; at most ${FRAME_SLOTS}`);
    const planLen = plan?.length ?? 0;
    const ptr = this.allocator.alloc((FRAME_SLOTS + planLen) * 4);
    const i32 = this.heapI32;
    const f = this.heapF32;
    const at = ptr >> 2;
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if (typeof a === 'number') i32[at + i] = a;
      else f[at + i] = a.f32;
    }
    if (plan) for (let i = 0; i < planLen; i++) i32[at + FRAME_SLOTS + i] = plan[i]!;
    return ptr;
  }

  /** Scratch or packing space owned by one kernel call. */
  scratch(bytes: number): number {
    return this.allocator.alloc(bytes);
  }

  release(ptr: number): void {
    this.allocator.release(ptr);
  }

  /** Runs an export over work units [0, units), across the pool when the work is large enough. */
  run(name: ExportName, frame: number, units: number, options: RunOptions = {}): void {
    this.checkLive(`kernel '${name}'`);
    if (units <= 0) return;
    const index = EXPORTS.indexOf(name);
    const fn = this.fns[index]!;
    const scratchBytes = Math.ceil((options.scratchBytes ?? 64) / 64) * 64;
    const parallel = this.pool !== null && units > 1 && (options.work ?? Infinity) >= this.minParallelWork;
    const threads = parallel ? this.pool!.size : 1;
    const scratch = this.allocator.alloc(scratchBytes * threads);
    try {
      if (!parallel) runTrapping(fn, frame, units, scratch);
      else {
        // Small claims keep threads balanced when one of them is descheduled on a busy machine:
        // a thread that stalls holding a claim makes every other thread wait for it at the end.
        // So a claim is about CLAIM_WORK of work (tens of microseconds), never more than an
        // eighth of a thread's share.
        const perUnit = (options.work ?? units * CLAIM_WORK) / units;
        const grain = options.grain ?? Math.max(1, Math.min(Math.floor(units / (threads * 8)), Math.ceil(CLAIM_WORK / perUnit)));
        this.pool!.run(index, fn, frame, units, grain, scratch, scratchBytes);
      }
    } finally {
      this.allocator.release(scratch);
    }
  }

  dispose(): void {
    this.disposed = true;
    this.pool?.dispose();
  }
}

/**
 * Runs a kernel on the calling thread; a trap (unreachable, out-of-bounds access, stack overflow)
 * becomes a BackendError. Plans and sizes are checked before any kernel runs (src/checks/), so a trap
 * means a bug in a kernel, not bad input.
 */
function runTrapping(fn: KernelExport, frame: number, units: number, scratch: number): void {
  try {
    fn(frame, 0, units, scratch);
  } catch (e) {
    if (e instanceof StridenetError) throw e;
    throw new BackendError(`wasm backend: the kernel trapped on the calling thread (${String(e)})`);
  }
}
