import { ArgumentError, DisposedError } from '@stridenet/core';
import { brief } from './checks/attrs.js';
import type { WasmRuntime } from './runtime.js';

/** Known only to this module: the runtime mints handles through mintHandle(), nobody else can. */
const MINT = Symbol('stridenet wasm handle');

/** What a live handle stands for, readable only inside this package. */
export interface HandleState {
  readonly runtime: WasmRuntime;
  readonly ptr: number;
  readonly size: number;
}

let hasFields: (h: object) => boolean;
let stateOf: (h: WasmHandle) => HandleState & { freed: boolean };
let markFreed: (h: WasmHandle) => void;

/**
 * A buffer of `size` floats in one wasm backend's linear memory. Opaque: its address and runtime are
 * private fields, so a copy, a look-alike object or `Object.create(WasmHandle.prototype)` is not a
 * handle, and the constructor refuses anyone without the runtime's private token. Once freed it
 * refuses every use (kernels, read, free).
 */
export class WasmHandle {
  readonly #runtime: WasmRuntime;
  readonly #ptr: number;
  readonly #size: number;
  #freed = false;

  /** @internal handles come from the backend (upload, kernels); kept out of the published types, which would otherwise need lib `dom` for WebAssembly. */
  constructor(token: symbol, runtime: WasmRuntime, ptr: number, size: number) {
    if (token !== MINT) {
      throw new ArgumentError('new WasmHandle', 'token', typeof token, "the wasm backend's private token (handles come from backend.upload() or a kernel)");
    }
    this.#runtime = runtime;
    this.#ptr = ptr;
    this.#size = size;
  }

  /** Float count (still readable after free, for messages). */
  get size(): number {
    return this.#size;
  }

  get freed(): boolean {
    return this.#freed;
  }

  toString(): string {
    return `WasmHandle(${this.#size} floats${this.#freed ? ', freed' : ''})`;
  }

  static {
    hasFields = (h) => #ptr in h;
    stateOf = (h) => ({ runtime: h.#runtime, ptr: h.#ptr, size: h.#size, freed: h.#freed });
    markFreed = (h) => {
      h.#freed = true;
    };
  }
}

/** A new handle over a block the runtime just allocated. */
export function mintHandle(runtime: WasmRuntime, ptr: number, size: number): WasmHandle {
  return new WasmHandle(MINT, runtime, ptr, size);
}

/** True for a genuine handle (private fields present), live or freed, of any runtime. */
export function isWasmHandle(h: unknown): h is WasmHandle {
  return typeof h === 'object' && h !== null && hasFields(h);
}

/**
 * The state of `h` when it is a live handle of `runtime`; otherwise a typed error naming `what`
 * (e.g. "wasm SgdUpdate: input 'grad'"): ArgumentError for a forged or foreign handle,
 * DisposedError for a freed one.
 */
export function liveHandle(h: unknown, runtime: WasmRuntime | null, op: string, what: string): HandleState {
  if (!isWasmHandle(h)) throw new ArgumentError(op, what, brief(h), 'a WasmHandle made by this wasm backend');
  const s = stateOf(h);
  if (runtime !== null && s.runtime !== runtime) throw new ArgumentError(op, what, String(h), 'a handle of this wasm backend, not of another one');
  if (s.freed) throw new DisposedError(`${op}: ${what} is a freed WasmHandle of ${s.size} floats; it`);
  return s;
}

/** Marks a live handle freed after liveHandle() accepted it; its block goes back to the allocator. */
export function retireHandle(h: WasmHandle): void {
  markFreed(h);
}
