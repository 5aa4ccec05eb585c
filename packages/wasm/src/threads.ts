import { BackendError, StridenetError } from '@stridenet/core';
import { BROWSER_WORKER_SOURCE, NODE_WORKER_SOURCE } from './worker-source.js';

/** What the host offers for threads, and why not when it does not. */
export interface ThreadSupport {
  ok: boolean;
  reason?: string;
  /** Node main thread may block in Atomics.wait; a browser window must spin. */
  canBlock: boolean;
  hardwareThreads: number;
}

interface NodeProcess {
  versions?: { node?: string };
  getBuiltinModule?: (id: string) => unknown;
}

function nodeProcess(): NodeProcess | undefined {
  const p = (globalThis as { process?: NodeProcess }).process;
  return p?.versions?.node ? p : undefined;
}

/** Loads a Node builtin without an import statement, so browser bundles carry no Node imports. */
function nodeBuiltin<T>(id: string): T | undefined {
  const p = nodeProcess();
  return p?.getBuiltinModule ? (p.getBuiltinModule(id) as T) : undefined;
}

export function detectThreads(): ThreadSupport {
  const node = nodeProcess();
  if (node) {
    const os = nodeBuiltin<{ availableParallelism?: () => number; cpus: () => unknown[] }>('node:os');
    const wt = nodeBuiltin<unknown>('node:worker_threads');
    const hw = os ? (os.availableParallelism?.() ?? os.cpus().length) : 1;
    if (!wt) return { ok: false, reason: `Node ${node.versions!.node} has no process.getBuiltinModule (needs >= 20.16) to load worker_threads`, canBlock: true, hardwareThreads: hw };
    if (typeof SharedArrayBuffer === 'undefined') return { ok: false, reason: 'SharedArrayBuffer is not available', canBlock: true, hardwareThreads: hw };
    return { ok: true, canBlock: true, hardwareThreads: hw };
  }
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  const hw = nav?.hardwareConcurrency ?? 1;
  if (typeof SharedArrayBuffer === 'undefined' || (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false) {
    return {
      ok: false,
      reason: 'SharedArrayBuffer is unavailable: the page is not cross-origin isolated (serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)',
      canBlock: false,
      hardwareThreads: hw,
    };
  }
  if (typeof Worker === 'undefined') return { ok: false, reason: 'Web Workers are not available', canBlock: false, hardwareThreads: hw };
  // A window's main thread may not block in Atomics.wait; a dedicated worker may.
  const inWindow = typeof (globalThis as { document?: unknown }).document !== 'undefined';
  return { ok: true, canBlock: !inWindow, hardwareThreads: hw };
}

interface AnyWorker {
  postMessage(m: unknown): void;
  terminate(): unknown;
}

/** Join counter value of a closed task (control slot 10): far below zero, so late joins stay negative. */
const CLOSED = -(1 << 30);
/** Bytes kept of a worker's trap message. */
const TRAP_TEXT_BYTES = 1024;

/**
 * A fixed team of workers plus the calling thread. run() is synchronous: it publishes a task in
 * the control block, takes part in it, and returns once every worker has reported done.
 */
export class ThreadPool {
  readonly control = new Int32Array(new SharedArrayBuffer(16 * 4));
  /** The first trapping worker's error text (UTF-8, length in control slot 11). */
  readonly trapText = new Uint8Array(new SharedArrayBuffer(TRAP_TEXT_BYTES));
  private constructor(
    private readonly workers: AnyWorker[],
    private readonly canBlock: boolean,
  ) {}

  get size(): number {
    return this.workers.length + 1;
  }

  static async start(
    count: number,
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    names: readonly string[],
    canBlock: boolean,
  ): Promise<ThreadPool> {
    const workers: AnyWorker[] = [];
    const ready: Promise<void>[] = [];
    const pool = new ThreadPool(workers, canBlock);
    const wt = nodeBuiltin<{ Worker: new (src: string, o: { eval: boolean }) => AnyWorker & { once(e: string, f: (v: unknown) => void): void; unref(): void } }>('node:worker_threads');
    let url: string | undefined;
    const unrefs: (() => void)[] = [];
    for (let tid = 1; tid < count; tid++) {
      const data = { module, memory, control: pool.control.buffer, trapText: pool.trapText.buffer, names, tid };
      if (wt) {
        const w = new wt.Worker(NODE_WORKER_SOURCE, { eval: true });
        ready.push(
          new Promise<void>((resolve, reject) => {
            w.once('message', () => resolve());
            w.once('error', (e) => reject(e));
          }),
        );
        w.postMessage(data);
        workers.push(w);
        // Idle workers sleep in Atomics.wait; once started they must not keep the process alive.
        unrefs.push(() => w.unref());
      } else {
        url ??= URL.createObjectURL(new Blob([BROWSER_WORKER_SOURCE], { type: 'text/javascript' }));
        const w = new Worker(url);
        ready.push(
          new Promise<void>((resolve, reject) => {
            w.onmessage = () => resolve();
            w.onerror = (e) => reject(new Error(`wasm backend: worker failed to start: ${e.message}`));
          }),
        );
        w.postMessage(data);
        workers.push(w);
      }
    }
    try {
      await Promise.all(ready);
      for (const u of unrefs) u();
    } catch (e) {
      for (const w of workers) void w.terminate();
      throw e;
    } finally {
      if (url) URL.revokeObjectURL(url);
    }
    return pool;
  }

  /** Runs fn over units [0, units) on every thread; `scratch` + tid * stride is each thread's scratch. */
  run(
    index: number,
    fn: (frame: number, u0: number, u1: number, scratch: number) => void,
    frame: number,
    units: number,
    grain: number,
    scratch: number,
    stride: number,
  ): void {
    const c = this.control;
    c[1] = 0;
    c[2] = index;
    c[3] = units;
    c[5] = frame;
    c[6] = scratch;
    c[7] = stride;
    c[8] = grain;
    Atomics.store(c, 9, 0);
    Atomics.store(c, 11, 0);
    Atomics.store(c, 4, 0);
    Atomics.store(c, 10, 0);
    Atomics.add(c, 0, 1);
    Atomics.notify(c, 0);
    let error: unknown;
    try {
      for (;;) {
        const u = Atomics.add(c, 4, grain);
        if (u >= units) break;
        fn(frame, u, Math.min(u + grain, units), scratch);
      }
    } catch (e) {
      error = e instanceof StridenetError ? e : new BackendError(`wasm backend: the kernel trapped on the calling thread (${String(e)})`);
      // Let the workers run dry so the control block is idle before throwing.
      Atomics.store(c, 4, units);
    }
    // Close the task: a worker that has not joined yet (still waking up, or descheduled on a busy
    // machine) stays out, so only the joined ones are waited for.
    const joined = Atomics.exchange(c, 10, CLOSED);
    for (;;) {
      const done = Atomics.load(c, 1);
      if (done >= joined) break;
      if (this.canBlock) Atomics.wait(c, 1, done, 1000);
    }
    if (error !== undefined) throw error;
    const trapped = Atomics.load(c, 9);
    if (trapped !== 0) {
      const text = new TextDecoder().decode(this.trapText.slice(0, Atomics.load(c, 11)));
      throw new BackendError(`wasm backend: the kernel trapped on worker thread ${trapped} (${text})`);
    }
  }

  dispose(): void {
    const c = this.control;
    c[2] = -1;
    Atomics.add(c, 0, 1);
    Atomics.notify(c, 0);
    for (const w of this.workers) void w.terminate();
    this.workers.length = 0;
  }
}
