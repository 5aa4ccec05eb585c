import { BackendError, DisposedError, StridenetError, UnsupportedError } from './errors.js';
import { KERNELS, SPEC_VERSION, type AnyBackend, type Backend, type KernelAttrs, type KernelInputs, type KernelName, type KernelOutput } from './spec/index.js';
import { sizeOf } from './plans/common.js';
import { backendEntry, startAutoBackend, startBackend, type BackendEntry, type StartBackendOptions } from './backend-registry.js';
import { emptyFill } from './empty.js';
import './disposable.js';

/** Backing store of a tensor with no elements: one float, so no backend ever sees a zero-size buffer. */
const EMPTY_PLACEHOLDER = new Float32Array(1);

/** A backend buffer shared by every tensor view of it (reshape shares storage). */
interface Storage {
  readonly backend: Backend;
  readonly handle: unknown;
  readonly size: number;
  refs: number;
  /** Kernel calls that wrote into the buffer in place (KernelSpec.writes: optimizer updates, running statistics). */
  writes: number;
}

let nextTensorId = 1;

/**
 * An immutable float32 tensor (NCHW for images) living on one backend.
 * Free it with `dispose()`, `using`, or by creating it inside `tidy()`.
 */
export class Tensor {
  readonly id: number;
  readonly shape: readonly number[];
  readonly size: number;
  readonly dtype = 'float32' as const;
  /** @internal */
  storage: Storage | null;

  /** @internal use `tensor()` or ops to create tensors. */
  constructor(storage: Storage, shape: readonly number[]) {
    this.id = nextTensorId++;
    this.storage = storage;
    // A frozen array (a plan's inShape/outShape, another tensor's shape) is shared as is: nobody can change it.
    this.shape = Array.isArray(shape) && Object.isFrozen(shape) ? shape : Object.freeze([...shape]);
    this.size = sizeOf(shape);
    engine.track(this);
  }

  get rank(): number {
    return this.shape.length;
  }

  get backend(): Backend {
    return this.live().backend;
  }

  get isDisposed(): boolean {
    return this.storage === null;
  }

  /** @internal */
  live(): Storage {
    if (this.storage === null) throw new DisposedError(`tensor #${this.id} [${this.shape.join(',')}]`);
    return this.storage;
  }

  /**
   * @internal How many kernel calls updated the storage in place so far: values derived from the tensor
   * (eager inference's folded weights) are stale once it moves.
   */
  get writes(): number {
    return this.live().writes;
  }

  /** @internal the backend handle. */
  get handle(): unknown {
    return this.live().handle;
  }

  /** Copies the values back to JavaScript. */
  async data(): Promise<Float32Array> {
    const s = this.live();
    if (this.size === 0) return new Float32Array(0);
    return s.backend.read(s.handle);
  }

  /** Synchronous read, only on backends that can (cpu-js, native). */
  dataSync(): Float32Array {
    const s = this.live();
    if (!s.backend.readSync) {
      throw new BackendError(`backend '${s.backend.name}' cannot read synchronously; use await tensor.data()`);
    }
    if (this.size === 0) return new Float32Array(0);
    return s.backend.readSync(s.handle);
  }

  /** Values as nested arrays following the shape. */
  async array(): Promise<unknown> {
    const flat = Array.from(await this.data());
    const build = (dim: number, offset: number): unknown => {
      if (dim === this.shape.length) return flat[offset];
      const stride = sizeOf(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim]! }, (_, i) => build(dim + 1, offset + i * stride));
    };
    return build(0, 0);
  }

  dispose(): void {
    if (this.storage === null) return;
    engine.release(this);
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  toString(): string {
    return `Tensor #${this.id} [${this.shape.join(',')}]${this.isDisposed ? ' (disposed)' : ''}`;
  }
}

/** The tensors a kernel call gives back: one per output handle, none for an in-place kernel. */
export type KernelTensors<K extends KernelName> =
  KernelOutput<Tensor, K> extends void ? [] : KernelOutput<Tensor, K> extends readonly Tensor[] ? KernelOutput<Tensor, K> : [Tensor];

type ShapesOf<T extends readonly unknown[]> = { readonly [I in keyof T]: readonly number[] };
/** One shape per output of kernel K. */
export type KernelOutShapes<K extends KernelName> = ShapesOf<KernelTensors<K>>;

export interface MemoryReport {
  /** Live tensors on every backend. */
  tensors: number;
  backends: Record<string, { tensors: number; bytes: number; buffers: number; backendBytes: number }>;
}

/** Owns the active backend, live-tensor accounting and tidy scopes (backends by name: backend-registry.ts). */
class Engine {
  private active: Backend | null = null;
  private readonly live = new Set<Tensor>();
  private readonly scopes: Set<Tensor>[] = [];

  track(t: Tensor): void {
    this.live.add(t);
    const scope = this.scopes[this.scopes.length - 1];
    if (scope) scope.add(t);
  }

  release(t: Tensor): void {
    const s = t.storage!;
    t.storage = null;
    this.live.delete(t);
    s.refs -= 1;
    if (s.refs === 0) s.backend.free(s.handle);
  }

  /** A tensor of `shape` holding `value` everywhere (an empty one gets a one-float placeholder buffer). */
  filled(backend: Backend, shape: readonly number[], value: number): Tensor {
    const n = sizeOf(shape);
    return this.wrap(backend, backend.upload(n === 0 ? EMPTY_PLACEHOLDER : new Float32Array(n).fill(value)), shape);
  }

  wrap(backend: Backend, handle: unknown, shape: readonly number[]): Tensor {
    return new Tensor({ backend, handle, size: sizeOf(shape), refs: 1, writes: 0 }, shape);
  }

  /** A new tensor sharing `t`'s storage with another shape of the same size. */
  view(t: Tensor, shape: readonly number[]): Tensor {
    const s = t.live();
    s.refs += 1;
    return new Tensor(s, shape);
  }

  /**
   * Another reference to `t`'s storage that no tidy scope frees: the storage lives until both `t` and
   * the returned tensor are disposed. The caller owns it (autograd keeps what backward reads this way).
   */
  retain(t: Tensor): Tensor {
    const r = this.view(t, t.shape);
    this.scopes[this.scopes.length - 1]?.delete(r);
    return r;
  }

  get backend(): Backend {
    if (this.active === null) {
      throw new BackendError(
        'no backend is set: call setBackend(await createCpuBackend()) (from @stridenet/cpu-js) or register one first',
      );
    }
    return this.active;
  }

  hasBackend(): boolean {
    return this.active !== null;
  }

  setActive(b: AnyBackend): void {
    if (b.specVersion !== SPEC_VERSION) {
      throw new BackendError(`backend '${b.name}' implements kernel spec ${b.specVersion}, but this core needs ${SPEC_VERSION}`);
    }
    this.active = b;
  }

  /**
   * Runs a kernel on the inputs' backend (or the active one), checking support first, and wraps
   * its output handle(s) as tensors of the given shape(s). On failure nothing is allocated.
   */
  runKernel<K extends KernelName>(
    kernel: K,
    inputs: KernelInputs<Tensor, K>,
    attrs: KernelAttrs<K>,
    outShapes: KernelOutShapes<K>,
  ): KernelTensors<K> {
    // The per-call floor of every eager op (issue #12): no Object.entries, closures or array copies here.
    const handles: Record<string, unknown> = {};
    const ins = inputs as Record<string, Tensor | readonly Tensor[] | undefined>;
    let backend: Backend | null = null;
    let emptyInput = false;
    for (const k in ins) {
      if (!Object.hasOwn(ins, k)) continue;
      const v = ins[k];
      if (v === undefined) continue;
      if (Array.isArray(v)) {
        const hs: unknown[] = new Array(v.length);
        for (let i = 0; i < v.length; i++) {
          const t = (v as readonly Tensor[])[i]!;
          backend = this.inputBackend(kernel, k, t, backend);
          if (t.size === 0) emptyInput = true;
          hs[i] = t.storage!.handle;
        }
        handles[k] = hs;
      } else {
        const t = v as Tensor;
        backend = this.inputBackend(kernel, k, t, backend);
        if (t.size === 0) emptyInput = true;
        handles[k] = t.storage!.handle;
      }
    }
    const b: Backend = backend ?? this.backend;
    const ok = b.supports(kernel, attrs);
    if (ok !== true) throw new UnsupportedError(b.name, kernel, ok);
    const shapes = outShapes as readonly (readonly number[])[];
    let emptyOutput = false;
    for (let i = 0; i < shapes.length; i++) if (sizeOf(shapes[i]!) === 0) emptyOutput = true;
    if (emptyInput || emptyOutput) {
      // Never a zero-size buffer or dispatch on a backend: empty results and constants from core.
      return shapes.map((shape, i) =>
        this.filled(b, shape, sizeOf(shape) === 0 ? 0 : emptyFill(kernel, attrs as Record<string, unknown>, inputs as Record<string, unknown>, i)),
      ) as KernelTensors<K>;
    }
    const fn = b.kernels[kernel] as (i: unknown, a: unknown) => unknown;
    const out = fn(handles, attrs);
    const writes: readonly string[] | undefined = (KERNELS[kernel] as { writes?: readonly string[] }).writes;
    if (writes) for (const k of writes) for (const t of [ins[k] ?? []].flat()) t.live().writes += 1;
    if (shapes.length === 1) return [this.wrap(b, out, shapes[0]!)] as KernelTensors<K>;
    const result: Tensor[] = new Array(shapes.length);
    for (let i = 0; i < shapes.length; i++) result[i] = this.wrap(b, (out as unknown[])[i], shapes[i]!);
    return result as unknown as KernelTensors<K>;
  }

  /** Checks one kernel input (a live Tensor on the same backend as the others) and returns its backend. */
  private inputBackend(kernel: string, key: string, t: Tensor, backend: Backend | null): Backend {
    if (!(t instanceof Tensor)) throw new StridenetError('ARGUMENT', `${kernel}: input '${key}' is ${String(t)} but expected a Tensor`);
    const s = t.live();
    if (backend === null) return s.backend;
    if (backend !== s.backend) {
      throw new BackendError(`${kernel}: input '${key}' lives on backend '${s.backend.name}' but other inputs on '${backend.name}'`);
    }
    return backend;
  }

  startScope(): void {
    this.scopes.push(new Set());
  }

  endScope(keep: Iterable<Tensor>): void {
    const scope = this.scopes.pop();
    if (!scope) return;
    const kept = new Set(keep);
    const parent = this.scopes[this.scopes.length - 1];
    for (const t of scope) {
      if (kept.has(t)) {
        if (parent) parent.add(t);
      } else if (!t.isDisposed) t.dispose();
    }
  }

  /** Removes a tensor from every open scope (it outlives them). */
  keep(t: Tensor): Tensor {
    for (const s of this.scopes) s.delete(t);
    return t;
  }

  liveTensors(): ReadonlySet<Tensor> {
    return this.live;
  }

  memory(): MemoryReport {
    const backends: MemoryReport['backends'] = {};
    const seen = new Set<Storage>();
    for (const t of this.live) {
      const s = t.storage!;
      const r = (backends[s.backend.name] ??= { tensors: 0, bytes: 0, buffers: 0, backendBytes: s.backend.memory().bytes });
      r.tensors += 1;
      if (!seen.has(s)) {
        seen.add(s);
        r.bytes += s.size * 4;
        r.buffers += 1;
      }
    }
    if (this.active && !backends[this.active.name]) {
      const m = this.active.memory();
      backends[this.active.name] = { tensors: 0, bytes: 0, buffers: 0, backendBytes: m.bytes };
    }
    return { tensors: this.live.size, backends };
  }
}

export const engine = new Engine();

/** Instances `setBackend(name)` started, per table entry (a re-registered name starts afresh) and thread count. */
const startedByName = new Map<BackendEntry | 'auto', Map<number | undefined, AnyBackend>>();

/**
 * Makes a backend active and returns it: an instance, a name from the backend table (started once
 * per name and thread count, then reused), or `'auto'` (the first that runs, see startAutoBackend).
 */
export async function setBackend(backend: AnyBackend | string, options: StartBackendOptions = {}): Promise<Backend> {
  if (typeof backend !== 'string') {
    engine.setActive(backend);
    return backend;
  }
  const key = backend === 'auto' ? 'auto' : backendEntry(backend);
  const started = startedByName.get(key) ?? new Map<number | undefined, AnyBackend>();
  startedByName.set(key, started);
  let instance = started.get(options.threads);
  if (!instance) {
    instance = backend === 'auto' ? (await startAutoBackend(options)).backend : await startBackend(backend, options);
    started.set(options.threads, instance);
  }
  engine.setActive(instance);
  return instance;
}

export function getBackend(): Backend {
  return engine.backend;
}

/** Live tensors and bytes per backend. */
export function memory(): MemoryReport {
  return engine.memory();
}

/**
 * Runs `fn` and disposes every tensor it created except those it returns (a tensor, an array or
 * an object of tensors) and those passed to `keep()`.
 */
export function tidy<T>(fn: () => T): T {
  engine.startScope();
  let result: T;
  try {
    result = fn();
  } catch (e) {
    engine.endScope([]);
    throw e;
  }
  engine.endScope(collectTensors(result));
  return result;
}

/** Keeps a tensor alive past the enclosing `tidy` scopes. */
export function keep<T extends Tensor>(t: T): T {
  engine.keep(t);
  return t;
}

export function collectTensors(value: unknown, out: Tensor[] = [], depth = 0): Tensor[] {
  if (value instanceof Tensor) out.push(value);
  else if (depth < 4 && Array.isArray(value)) for (const v of value) collectTensors(v, out, depth + 1);
  else if (depth < 4 && value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collectTensors(v, out, depth + 1);
  }
  return out;
}
