/**
 * The one door into the assembly kernels. Every kernel file runs its body through launch(), which
 * first checks each input: a genuine WasmHandle (not forged), of one live runtime (not foreign, not
 * after dispose), not freed, holding exactly the floats the checked plan says. Only then does the body
 * see byte offsets. Blocks the body allocates are tracked: frames and scratch are released when the
 * call ends, outputs are freed when it fails, so a trap or an out-of-memory error leaks nothing.
 */
import { ArgumentError, BackendError, KERNELS, ShapeError, type KernelName } from '@stridenet/core';
import { isWasmHandle, liveHandle, type HandleState, type WasmHandle } from '../handle.js';
import type { ExportName, FrameArg, RunOptions, WasmRuntime } from '../runtime.js';
import { brief, opName } from './attrs.js';

/** An input that may be absent (Conv2D and MatMul bias). */
export interface Optional {
  readonly optional: number;
}
export const optional = (size: number): Optional => ({ optional: size });

/** Expected floats per input name: a number, optional(n), or one number per handle of a list input (Concat). */
export type BufferSizes<I> = { readonly [K in keyof I]-?: number | Optional | readonly number[] };

/** The runtime of the backend whose kernel table is running (see bindKernels), or null. */
let owner: WasmRuntime | null = null;

/**
 * A backend's own kernel table: each kernel accepts only handles of `rt`, so a handle of another wasm
 * backend is refused even when every input of the call comes from that other backend.
 */
export function bindKernels<T extends object>(table: T, rt: WasmRuntime): T {
  const bound = Object.entries(table).map(([name, fn]: [string, (i: unknown, a: unknown) => unknown]) => [
    name,
    (inputs: unknown, attrs: unknown) => {
      const prev = owner;
      owner = rt;
      try {
        return fn(inputs, attrs);
      } finally {
        owner = prev;
      }
    },
  ]);
  return Object.freeze(Object.fromEntries(bound)) as T;
}

export class KernelCall<I> {
  /** Byte offset of each single-handle input (0 for an absent optional one). */
  readonly ptr = {} as { readonly [K in keyof I]-?: number };
  /** Byte offsets of the handles of each list input. */
  readonly ptrs = {} as { readonly [K in keyof I]-?: readonly number[] };
  readonly rt: WasmRuntime;
  private readonly temps: number[] = [];
  private readonly outputs: WasmHandle[] = [];

  constructor(
    readonly kernel: string,
    inputs: I,
    sizes: BufferSizes<I>,
  ) {
    const op = opName(kernel);
    if (inputs === null || typeof inputs !== 'object') throw new ArgumentError(op, 'inputs', brief(inputs), 'an object of WasmHandles');
    const entries: [string, string, unknown, number][] = [];
    for (const name of Object.keys(sizes)) {
      const want = sizes[name as keyof I];
      const value = (inputs as Record<string, unknown>)[name];
      if (Array.isArray(want)) {
        if (!Array.isArray(value) || value.length !== want.length) {
          throw new ArgumentError(op, `input '${name}'`, brief(value), `an array of ${want.length} WasmHandles (one per plan block)`);
        }
        value.forEach((h, i) => entries.push([name, `input '${name}[${i}]'`, h, want[i]!]));
      } else if (typeof want === 'number') entries.push([name, `input '${name}'`, value, want]);
      else if (value !== undefined) entries.push([name, `input '${name}'`, value, (want as Optional).optional]);
      else (this.ptr as Record<string, number>)[name] = 0;
    }
    const first = entries.find((e) => isWasmHandle(e[2]));
    if (first === undefined) {
      const [, what, value] = entries[0] ?? ['', 'inputs', inputs];
      throw new ArgumentError(op, what, brief(value), 'a WasmHandle made by this wasm backend');
    }
    this.rt = owner ?? liveHandle(first[2], null, op, first[1]).runtime;
    this.rt.checkLive(kernel);
    const lists = this.ptrs as unknown as Record<string, number[]>;
    for (const [name, what, value, want] of entries) {
      const s: HandleState = liveHandle(value, this.rt, op, what);
      if (s.size !== want) throw new ShapeError(op, `${what} length`, s.size, `${want} floats`, 'from the plan and attributes');
      if (Array.isArray(sizes[name as keyof I])) (lists[name] ??= []).push(s.ptr);
      else (this.ptr as Record<string, number>)[name] = s.ptr;
    }
    // A buffer this kernel writes in place is not constant (whatever was promised): drop what was derived from it.
    const writes = (KERNELS[kernel as KernelName] as { writes?: readonly string[] } | undefined)?.writes ?? [];
    for (const [name, , value] of entries) if (writes.includes(name)) this.rt.unmarkConstant(value as WasmHandle);
  }

  /** A new output buffer of `size` floats, freed again if the call fails. */
  output(size: number): WasmHandle {
    const h = this.rt.alloc(size);
    this.outputs.push(h);
    return h;
  }

  /** Byte offset of an output this call made. */
  addr(h: WasmHandle): number {
    return this.rt.ptrOf(h);
  }

  /** A call frame (see WasmRuntime.frame), released when the call ends. */
  frame(args: readonly FrameArg[], plan?: Int32Array): number {
    const p = this.rt.frame(args, plan);
    this.temps.push(p);
    return p;
  }

  /** Scratch or packing space, released when the call ends. */
  scratch(bytes: number): number {
    const p = this.rt.scratch(bytes);
    this.temps.push(p);
    return p;
  }

  /** An i32 array of handle pointers, list after list (the multi-tensor kernels' frame slot 0), released when the call ends. */
  pointerList(lists: readonly (readonly number[])[]): number {
    const all = lists.flat();
    const at = this.scratch(all.length * 4);
    this.rt.heapI32.set(all, at >> 2);
    return at;
  }

  run(name: ExportName, frame: number, units: number, options?: RunOptions): void {
    this.rt.run(name, frame, units, options);
  }

  /** @internal */ end(failed: boolean): void {
    for (const p of this.temps) this.rt.release(p);
    this.temps.length = 0;
    if (failed) for (const h of this.outputs) this.rt.free(h);
  }
}

/** Checks the inputs against `sizes`, then runs `body`; see the file comment. */
export function launch<I, R>(kernel: string, inputs: I, sizes: BufferSizes<I>, body: (k: KernelCall<I>) => R): R {
  const k = new KernelCall(kernel, inputs, sizes);
  let failed = true;
  try {
    const out = body(k);
    failed = false;
    return out;
  } catch (e) {
    // Out of memory or a trap: say which kernel, and that nothing it made is left behind.
    if (e instanceof BackendError && e.message.startsWith(RUNTIME_PREFIX)) {
      const trap = e.message.includes('trapped') ? '; in-place inputs may be partly written' : '';
      throw new BackendError(`${opName(kernel)}: ${e.message.slice(RUNTIME_PREFIX.length)}; its outputs were freed${trap}; the backend stays usable`);
    }
    throw e;
  } finally {
    k.end(failed);
  }
}

const RUNTIME_PREFIX = 'wasm backend: ';
